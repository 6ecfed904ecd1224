import PulseProtocol
import Synchronization

/// In-process fan-out of live ticks (and the 1-minute bars built from them) to subscribers, each with a
/// conflating mailbox: a subscriber that falls behind holds at most one pending tick per symbol — the latest,
/// having absorbed the ones it replaces (their count, summed size and price extremes, see
/// ``PulseV1/Tick/absorbing(_:)``) — so a slow reader never grows memory and never slows the publisher or
/// anyone else. A tick of one symbol never replaces another symbol's.
///
/// Ticks reach the hub from this instance's ingester (`origin: .local`) and from the tick-log follower for
/// symbols other instances ingest (`.follower`); the hub drops a tick at or below the last sequence it
/// published for the symbol, so the two paths never deliver one twice.
///
/// ```swift
/// let subscription = hub.subscribe(to: ["AAPL", "MSFT"])
/// for await event in subscription { try await writer.send(event) }   // ends when cancelled
/// hub.publish(tick)                                                   // from the ingester
/// ```
public final class TickHub: Sendable {
    /// Where a published tick came from.
    public enum Origin: Sendable { case local, follower }

    private struct SymbolState {
        var subscribers: Set<UInt64> = []
        var lastSequence: UInt64 = 0
        /// Ingest time of the last tick this instance's own ingester published (0: none).
        var lastLocalIngestUs: Int64 = 0
        var bars: LiveBars
    }

    private struct State {
        var subscribers: [UInt64: Mailbox] = [:]
        var symbols: [String: SymbolState] = [:]
        var nextID: UInt64 = 1
    }

    private let state = Mutex(State())
    /// The latest quote per symbol published here (GetQuote's in-memory tier).
    public let latest = LatestQuotes()

    public init() {}

    /// Delivers `tick` (and any bar it closes or revises) to every subscriber of its symbol; a tick at or
    /// below the symbol's last published sequence is dropped. Returns whether it was delivered.
    @discardableResult
    public func publish(_ tick: PulseV1.Tick, origin: Origin = .local) -> Bool {
        var bar: PulseV1.LiveBar?
        let targets = state.withLock { state -> [Mailbox]? in
            let accepted = state.symbols[tick.symbol].map { tick.sequence > $0.lastSequence } ?? true
            guard accepted else { return nil }
            var symbol = state.symbols[tick.symbol] ?? SymbolState(bars: LiveBars(symbol: tick.symbol))
            symbol.lastSequence = tick.sequence
            if origin == .local { symbol.lastLocalIngestUs = max(tick.ingestTimeUs, 1) }
            if !symbol.subscribers.isEmpty { bar = symbol.bars.add(tick) }
            state.symbols[tick.symbol] = symbol
            return symbol.subscribers.compactMap { state.subscribers[$0] }
        }
        guard let targets else { return false }
        latest.record(tick)
        for mailbox in targets {
            if let bar { mailbox.put(bar: bar) }
            mailbox.put(tick)
        }
        return true
    }

    /// Delivers a run of `symbol`'s ticks in increasing sequence order, as publishing each in turn would, but a
    /// symbol nobody subscribes to takes the run in one step (one lock, one lookup): the feed's path at full rate.
    /// Returns how many were delivered (those above the symbol's last published sequence).
    @discardableResult
    public func publish(_ ticks: [PulseV1.Tick], of symbol: String, origin: Origin = .local) -> Int {
        guard let last = ticks.last else { return 0 }
        let increasing = zip(ticks, ticks.dropFirst()).allSatisfy {
            $0.sequence < $1.sequence && $0.symbol == $1.symbol
        }
        let start = state.withLock { state -> Int? in
            guard increasing, ticks[0].symbol == symbol, state.symbols[symbol]?.subscribers.isEmpty ?? true else {
                return nil
            }
            let lastSequence = state.symbols[symbol]?.lastSequence ?? 0
            guard let start = ticks.firstIndex(where: { $0.sequence > lastSequence }) else { return ticks.count }
            state.symbols[symbol, default: SymbolState(bars: LiveBars(symbol: symbol))].lastSequence = last.sequence
            if origin == .local {
                state.symbols[symbol]!.lastLocalIngestUs = max(last.ingestTimeUs, 1)
            }
            return start
        }
        guard let start else {
            return ticks.reduce(0) { $0 + (publish($1, origin: origin) ? 1 : 0) }
        }
        latest.record(ticks[start...])
        return ticks.count - start
    }

    /// Closes every forming bar whose minute `nowMs` has passed and delivers it (called about once a second).
    public func closeBars(upTo nowMs: Int64) {
        let closed = state.withLock { state -> [(PulseV1.LiveBar, [Mailbox])] in
            var closed: [(PulseV1.LiveBar, [Mailbox])] = []
            for key in state.symbols.keys {
                guard let bar = state.symbols[key]!.bars.close(upTo: nowMs) else { continue }
                closed.append((bar, state.symbols[key]!.subscribers.compactMap { state.subscribers[$0] }))
            }
            return closed
        }
        for (bar, targets) in closed { for mailbox in targets { mailbox.put(bar: bar) } }
    }

    /// Subscribes to `symbols` (with their live bars when `bars`); the subscription ends when the task
    /// iterating it is cancelled or it is `close()`d.
    public func subscribe(to symbols: [String], bars: Bool = false) -> TickSubscription {
        let mailbox = Mailbox(wantsBars: bars)
        let unique = Set(symbols)
        let id = state.withLock { state -> UInt64 in
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = mailbox
            for symbol in unique {
                state.symbols[symbol, default: SymbolState(bars: LiveBars(symbol: symbol))].subscribers.insert(id)
            }
            return id
        }
        return TickSubscription(mailbox: mailbox) { [weak self] in self?.remove(id, symbols: unique) }
    }

    /// How many subscriptions are open.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// The symbols with at least one subscriber.
    public var subscribedSymbols: Set<String> {
        state.withLock { Set($0.symbols.compactMap { $0.value.subscribers.isEmpty ? nil : $0.key }) }
    }

    /// Whether `symbol` has at least one subscriber now (one lookup, for the publishing path).
    public func hasSubscribers(_ symbol: String) -> Bool {
        state.withLock { !($0.symbols[symbol]?.subscribers.isEmpty ?? true) }
    }

    /// Open subscriptions, events waiting in their mailboxes, and ticks conflated in the open ones (for metrics;
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

    /// The last sequence published for `symbol` (0: none).
    public func lastSequence(_ symbol: String) -> UInt64 { state.withLock { $0.symbols[symbol]?.lastSequence ?? 0 } }

    /// The 1-minute bar `symbol` is forming now, exact (every published tick, before any conflation), while it
    /// has subscribers.
    public func formingBar(_ symbol: String) -> PulseV1.LiveBar? {
        state.withLock { $0.symbols[symbol]?.bars.forming }
    }

    /// Whether this instance's own ingester published `symbol` since `sinceUs` (microseconds, its clock).
    public func isFedLocally(_ symbol: String, sinceUs: Int64) -> Bool {
        state.withLock { ($0.symbols[symbol]?.lastLocalIngestUs ?? 0) >= sinceUs }
    }

    /// Forgets the bars being built for `symbol`: its ticks are about to resume after a break, so the minute
    /// in progress is incomplete.
    public func restartBars(_ symbol: String) {
        state.withLock { state in state.symbols[symbol]?.bars = LiveBars(symbol: symbol) }
    }

    private func remove(_ id: UInt64, symbols: Set<String>) {
        state.withLock { state in
            state.subscribers[id] = nil
            for symbol in symbols {
                state.symbols[symbol]?.subscribers.remove(id)
                guard state.symbols[symbol]?.subscribers.isEmpty == true else { continue }
                if state.symbols[symbol]?.lastSequence == 0 {
                    // Never published (a symbol nobody trades): forget it, so asking for names costs nothing.
                    state.symbols[symbol] = nil
                } else {
                    // Bars are built only while someone listens; the next listener starts a fresh minute.
                    state.symbols[symbol]?.bars = LiveBars(symbol: symbol)
                }
            }
        }
    }
}

/// A subscriber's live events as an `AsyncSequence`; iteration ends when the subscription is closed or the
/// iterating task is cancelled.
public struct TickSubscription: AsyncSequence, Sendable {
    public typealias Element = PulseV1.QuoteEvent

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

    /// The next event, or `.idle` once ``wake()`` was called with nothing pending, or `.ended`.
    public func next() async -> TickHub.Delivery {
        let delivery = await mailbox.next()
        if case .ended = delivery { end.run() }
        return delivery
    }

    /// Makes a waiting (or the next) ``next()`` return `.idle` if nothing is pending: a timer's way in.
    public func wake() { mailbox.wake() }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: TickSubscription
        public mutating func next() async -> PulseV1.QuoteEvent? {
            while true {
                switch await subscription.next() {
                case .event(let event): return event
                case .idle: continue
                case .ended: return nil
                }
            }
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
