import PulseProtocol
import Synchronization

/// In-process fan-out of live ticks to subscribers, each with a conflating mailbox: a subscriber that
/// falls behind holds at most one pending tick per symbol — the latest, saying in `conflated` how many
/// earlier ones it replaces — so a slow reader never grows memory and never slows the publisher or anyone
/// else. Publishing is O(subscribers of the symbol) under one lock, with no allocation per tick once a
/// symbol's slot exists.
///
/// ```swift
/// let subscription = hub.subscribe(to: ["AAPL", "MSFT"])
/// for await tick in subscription { try await writer.send(.tick(tick)) }   // ends when cancelled
/// hub.publish(tick)                                                        // from the ingester
/// ```
public final class TickHub: Sendable {
    private struct State {
        var subscribers: [UInt64: Mailbox] = [:]
        var bySymbol: [String: Set<UInt64>] = [:]
        var nextID: UInt64 = 1
    }

    private let state = Mutex(State())
    /// The latest quote per symbol published here (GetQuote's in-memory tier).
    public let latest = LatestQuotes()

    public init() {}

    /// Delivers `tick` to every subscriber of its symbol and makes it the symbol's latest quote.
    public func publish(_ tick: PulseV1.Tick) {
        latest.record(tick)
        let targets = state.withLock { state -> [Mailbox] in
            guard let ids = state.bySymbol[tick.symbol] else { return [] }
            return ids.compactMap { state.subscribers[$0] }
        }
        for mailbox in targets { mailbox.put(tick) }
    }

    /// Subscribes to `symbols`; the subscription ends when the task iterating it is cancelled or `close()`d.
    public func subscribe(to symbols: [String]) -> TickSubscription {
        let mailbox = Mailbox()
        let id = state.withLock { state -> UInt64 in
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = mailbox
            for symbol in Set(symbols) { state.bySymbol[symbol, default: []].insert(id) }
            return id
        }
        return TickSubscription(mailbox: mailbox) { [weak self] in self?.remove(id, symbols: symbols) }
    }

    /// How many subscriptions are open.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Open subscriptions, ticks waiting in their mailboxes, and ticks conflated in the open ones (for metrics;
    /// read at scrape time, never on the publishing path).
    public func statistics() -> (subscribers: Int, queued: Int, conflated: UInt64) {
        let mailboxes = state.withLock { Array($0.subscribers.values) }
        var queued = 0
        var conflated: UInt64 = 0
        for mailbox in mailboxes {
            queued += mailbox.pendingCount
            conflated &+= mailbox.conflatedTotal
        }
        return (mailboxes.count, queued, conflated)
    }

    private func remove(_ id: UInt64, symbols: [String]) {
        state.withLock { state in
            state.subscribers[id] = nil
            for symbol in Set(symbols) {
                state.bySymbol[symbol]?.remove(id)
                if state.bySymbol[symbol]?.isEmpty == true { state.bySymbol[symbol] = nil }
            }
        }
    }

    /// One subscriber's pending ticks: at most one per symbol, delivered in the order symbols became pending.
    final class Mailbox: Sendable {
        private struct Pending {
            var ticks: [String: PulseV1.Tick] = [:]
            var order: [String] = []
            var waiter: CheckedContinuation<PulseV1.Tick?, Never>?
            var closed = false
            var conflatedTotal: UInt64 = 0
        }
        private let pending = Mutex(Pending())

        func put(_ tick: PulseV1.Tick) {
            let waiter = pending.withLock { p -> CheckedContinuation<PulseV1.Tick?, Never>? in
                guard !p.closed else { return nil }
                if let waiter = p.waiter {
                    p.waiter = nil
                    return waiter
                }
                if let earlier = p.ticks[tick.symbol] {
                    var latest = tick
                    latest.conflated = earlier.conflated &+ 1 &+ tick.conflated
                    p.ticks[tick.symbol] = latest
                    p.conflatedTotal &+= 1
                } else {
                    p.ticks[tick.symbol] = tick
                    p.order.append(tick.symbol)
                }
                return nil
            }
            waiter?.resume(returning: tick)
        }

        func next() async -> PulseV1.Tick? {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<PulseV1.Tick?, Never>) in
                    let ready = pending.withLock { p -> (PulseV1.Tick?, Bool) in
                        if p.closed { return (nil, true) }
                        if !p.order.isEmpty {
                            let symbol = p.order.removeFirst()
                            return (p.ticks.removeValue(forKey: symbol), true)
                        }
                        p.waiter = continuation
                        return (nil, false)
                    }
                    if ready.1 { continuation.resume(returning: ready.0) }
                }
            } onCancel: {
                close()
            }
        }

        func close() {
            let waiter = pending.withLock { p -> CheckedContinuation<PulseV1.Tick?, Never>? in
                p.closed = true
                p.ticks = [:]
                p.order = []
                defer { p.waiter = nil }
                return p.waiter
            }
            waiter?.resume(returning: nil)
        }

        /// Ticks waiting to be taken.
        var pendingCount: Int { pending.withLock { $0.order.count } }

        /// Whether a tick waits to be taken.
        var hasPending: Bool { pending.withLock { !$0.order.isEmpty } }

        /// Ticks replaced by later ones so far (for metrics).
        var conflatedTotal: UInt64 { pending.withLock { $0.conflatedTotal } }
    }
}

/// A subscriber's live ticks as an `AsyncSequence`; iteration ends when the subscription is closed or the
/// iterating task is cancelled.
public struct TickSubscription: AsyncSequence, Sendable {
    public typealias Element = PulseV1.Tick

    let mailbox: TickHub.Mailbox
    private let end: Ender

    init(mailbox: TickHub.Mailbox, onEnd: @escaping @Sendable () -> Void) {
        self.mailbox = mailbox
        self.end = Ender(onEnd)
    }

    /// Ends the subscription: iteration finishes and the hub forgets it.
    public func close() {
        mailbox.close()
        end.run()
    }

    /// Ticks replaced by later ones because this subscriber was behind.
    public var conflatedTotal: UInt64 { mailbox.conflatedTotal }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: TickSubscription
        public mutating func next() async -> PulseV1.Tick? {
            if let tick = await subscription.mailbox.next() { return tick }
            subscription.end.run()
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(subscription: self) }

    /// Runs the hub's clean-up once, however the subscription ends.
    final class Ender: Sendable {
        private let action: Mutex<(@Sendable () -> Void)?>
        init(_ action: @escaping @Sendable () -> Void) { self.action = Mutex(action) }
        func run() {
            action.withLock { a in
                defer { a = nil }; return a
            }?()
        }
    }
}
