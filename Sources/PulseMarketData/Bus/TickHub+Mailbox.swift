import PulseProtocol
import Synchronization

extension TickHub {
    /// What a subscriber's ``TickSubscription/next()`` returns.
    public enum Delivery: Sendable {
        case event(PulseV1.QuoteEvent)
        /// Nothing was pending when the subscription was woken (a heartbeat timer's cue).
        case idle
        /// The subscription is closed.
        case ended
    }

    /// One subscriber's pending events, keyed by symbol: at most one tick per symbol (a newer one absorbs the
    /// older) and at most one bar per symbol and minute (a newer revision replaces the older). Symbols are
    /// served round-robin in the order they became pending; within a symbol, bars go before the tick (a bar
    /// is closed by the tick that follows it).
    final class Mailbox: Sendable {
        private struct Slot {
            var tick: PulseV1.Tick?
            var bars: [PulseV1.LiveBar] = []
            var isEmpty: Bool { tick == nil && bars.isEmpty }
        }

        private struct Pending {
            var slots: [String: Slot] = [:]
            var order: [String] = []
            var orderHead = 0
            var waiter: CheckedContinuation<Delivery, Never>?
            var woken = false
            var closed = false
            var conflatedTotal: UInt64 = 0

            var hasPending: Bool { orderHead < order.count }

            mutating func markPending(_ symbol: String) {
                if orderHead > 64 && orderHead * 2 > order.count {
                    order.removeFirst(orderHead)
                    orderHead = 0
                }
                order.append(symbol)
            }

            mutating func take() -> PulseV1.QuoteEvent? {
                var found: (String, Slot)?
                while found == nil && hasPending {
                    let symbol = order[orderHead]
                    orderHead += 1
                    if let slot = slots[symbol] { found = (symbol, slot) }
                }
                guard case (let symbol, var slot)? = found else { return nil }
                let event: PulseV1.QuoteEvent
                if !slot.bars.isEmpty {
                    event = PulseV1.QuoteEvent(.bar(slot.bars.removeFirst()))
                } else {
                    event = PulseV1.QuoteEvent(.tick(slot.tick!))
                    slot.tick = nil
                }
                if slot.isEmpty {
                    slots[symbol] = nil
                } else {
                    slots[symbol] = slot
                    markPending(symbol)
                }
                return event
            }
        }

        let wantsBars: Bool
        private let pending = Mutex(Pending())

        init(wantsBars: Bool) { self.wantsBars = wantsBars }

        func put(_ tick: PulseV1.Tick) {
            deliver(.tick(tick)) { p in
                var slot = p.slots[tick.symbol] ?? Slot()
                let wasEmpty = slot.isEmpty
                if let earlier = slot.tick {
                    slot.tick = tick.absorbing(earlier)
                    p.conflatedTotal &+= 1
                } else {
                    slot.tick = tick
                }
                p.slots[tick.symbol] = slot
                if wasEmpty { p.markPending(tick.symbol) }
            }
        }

        func put(bar: PulseV1.LiveBar) {
            guard wantsBars else { return }
            deliver(.bar(bar)) { p in
                var slot = p.slots[bar.symbol] ?? Slot()
                let wasEmpty = slot.isEmpty
                if let index = slot.bars.firstIndex(where: { $0.bar.timeMs == bar.bar.timeMs }) {
                    slot.bars[index] = bar
                } else {
                    slot.bars.append(bar)
                }
                p.slots[bar.symbol] = slot
                if wasEmpty { p.markPending(bar.symbol) }
            }
        }

        /// Hands `event` to a waiting reader, or queues it with `enqueue` (under the lock).
        private func deliver(_ event: PulseV1.QuoteEvent.Event, enqueue: (inout Pending) -> Void) {
            let waiter = pending.withLock { p -> CheckedContinuation<Delivery, Never>? in
                guard !p.closed else { return nil }
                if let waiter = p.waiter {
                    p.waiter = nil
                    return waiter
                }
                enqueue(&p)
                return nil
            }
            waiter?.resume(returning: .event(PulseV1.QuoteEvent(event)))
        }

        func next() async -> Delivery {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Delivery, Never>) in
                    let ready = pending.withLock { p -> Delivery? in
                        if p.closed { return .ended }
                        if let event = p.take() { return .event(event) }
                        if p.woken {
                            p.woken = false
                            return .idle
                        }
                        p.waiter = continuation
                        return nil
                    }
                    if let ready { continuation.resume(returning: ready) }
                }
            } onCancel: {
                close()
            }
        }

        func wake() {
            let waiter = pending.withLock { p -> CheckedContinuation<Delivery, Never>? in
                guard !p.closed else { return nil }
                guard let waiter = p.waiter else {
                    p.woken = true
                    return nil
                }
                p.waiter = nil
                return waiter
            }
            waiter?.resume(returning: .idle)
        }

        func close() {
            let waiter = pending.withLock { p -> CheckedContinuation<Delivery, Never>? in
                p.closed = true
                p.slots = [:]
                p.order = []
                p.orderHead = 0
                defer { p.waiter = nil }
                return p.waiter
            }
            waiter?.resume(returning: .ended)
        }

        /// Whether an event waits to be taken.
        var hasPending: Bool { pending.withLock { $0.hasPending } }

        /// Ticks replaced by later ones so far (for metrics).
        var conflatedTotal: UInt64 { pending.withLock { $0.conflatedTotal } }
    }
}
