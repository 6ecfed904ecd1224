import PulseProtocol
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// Where completed 1-minute bars go (PostgreSQL's COPY path in production).
public protocol MinuteBarSink: Sendable {
    func write(symbol: String, bars: [MinuteBarBuilder.Bar]) async throws
    /// Retries what the sink held back (a spool while PostgreSQL was away), without waiting; called about once a
    /// second.
    func flush()
}

/// The simulated feed as an ingester like any other: it takes ownership of the symbols it can, numbers their
/// ticks on from the high-water mark, appends them to the tick log fenced by its epoch, fans them out in
/// process, and writes 1-minute bars as each minute closes. Two instances with the feed on share the
/// symbols between them instead of both writing: a symbol another instance owns is retried every few
/// seconds, so it moves over when that owner stops.
///
/// Without Redis (no `log`/`ownership`) it still feeds this instance's subscribers, numbering from 1.
public struct SimulatedFeed: Sendable {
    public var market: SimulatedMarket.Configuration
    public let hub: TickHub
    public let log: TickLog?
    public let ownership: (any SymbolOwnership)?
    public let bars: (any MinuteBarSink)?
    /// Where the latest quote per symbol is kept and derived values are invalidated as minutes close.
    public let cache: MarketCache?
    /// How often ticks due by now are taken from the market and published.
    public var interval: Duration = .milliseconds(10)
    /// How often leases are renewed and unowned symbols retried.
    public var leaseCheck: Duration = .seconds(1)
    /// The most market time one round takes ticks for: a feed that fell behind (a stall, more ticks than the machine
    /// can carry) catches up in bounded batches instead of one that grows with the delay.
    public var maxStep: Duration = .milliseconds(100)
    /// Told of what the ingester does (the server's metrics).
    public var observer: (any IngestObserver)?
    /// Where the market starts, microseconds since the Unix epoch (nil: when `run` starts). A start in the past
    /// has the feed catch up from there as fast as it can.
    public var startUs: Int64?

    public init(
        market: SimulatedMarket.Configuration, hub: TickHub, log: TickLog? = nil,
        ownership: (any SymbolOwnership)? = nil, bars: (any MinuteBarSink)? = nil, cache: MarketCache? = nil
    ) {
        self.market = market
        self.hub = hub
        self.log = log
        self.ownership = ownership
        self.bars = bars
        self.cache = cache
    }

    /// What one run did, for tests and metrics.
    public typealias Counters = TickIngester.Counters

    /// Runs until the task is cancelled; returns what it did.
    @discardableResult
    public func run() async -> Counters {
        var ingester = TickIngester(hub: hub, log: log, ownership: ownership, bars: bars, cache: cache)
        ingester.observer = observer
        var lastLeaseCheck = ContinuousClock.now - leaseCheck
        let start = startUs ?? Self.nowUs()
        var simulated = SimulatedMarket(configuration: market, startUs: start)
        // Market time taken so far: it follows the clock, at most `maxStep` a round (the market is deterministic
        // whatever the steps).
        var taken = start
        let step = Int64(maxStep.wholeNanoseconds / 1_000)
        // A feed behind the clock takes the next round's ticks on the global pool while this round is appended,
        // so drawing ticks and the tick log's round trip overlap instead of taking turns; one caught up with the
        // clock draws each round when it is due, as fresh as the clock allows.
        var prefetched: Round?
        while !Task.isCancelled {
            if ContinuousClock.now - lastLeaseCheck >= leaseCheck {
                lastLeaseCheck = .now
                await ingester.checkLeases(for: market.symbols)
                bars?.flush()
            }
            let now = Self.nowUs()
            let round: Round
            if let prefetched {
                round = prefetched
            } else {
                round = Self.draw(simulated, until: max(taken, min(now, taken + step)))
            }
            prefetched = nil
            simulated = round.market
            taken = round.until
            let owned = round.batches.filter { ingester.owns($0.symbol) }
            if round.until < now {
                let next = Task(executorPreference: globalConcurrentExecutor) { [simulated, taken] in
                    Self.draw(simulated, until: min(now, taken + step))
                }
                await ingester.publish(owned)
                await ingester.closeBars(upTo: round.until)
                prefetched = await next.value
                // Behind the clock: the next round at once (yielding, so the loop's other work still runs).
                await Task.yield()
            } else {
                await ingester.publish(owned)
                await ingester.closeBars(upTo: round.until)
                try? await Task.sleep(for: interval)
            }
        }
        await ingester.releaseAll()
        return ingester.counters
    }

    static func nowUs() -> Int64 { TickIngester.nowUs() }

    /// One round of ticks: the market after drawing them, the market time they reach, each symbol's ticks.
    struct Round: Sendable {
        var market: SimulatedMarket
        var until: Int64
        var batches: [(symbol: String, ticks: [FeedTick])]
    }

    static func draw(_ market: SimulatedMarket, until: Int64) -> Round {
        var market = market
        var batches: [String: [FeedTick]] = [:]
        for tick in market.ticks(until: until) {
            batches[tick.symbol, default: []].append(
                FeedTick(
                    symbol: tick.symbol, timeUs: tick.timeUs, price: tick.price, size: tick.size, bid: tick.bid,
                    ask: tick.ask))
        }
        return Round(market: market, until: until, batches: batches.map { (symbol: $0.key, ticks: $0.value) })
    }
}
