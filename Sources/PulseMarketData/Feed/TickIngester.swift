import PulseProtocol
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// One trade as a feed hands it to the ingester.
public struct FeedTick: Sendable, Equatable {
    public var symbol: String
    /// Market time, microseconds since the Unix epoch.
    public var timeUs: Int64
    public var price: Double
    public var size: Double
    /// 0 when the source has no quote.
    public var bid: Double
    public var ask: Double

    public init(symbol: String, timeUs: Int64, price: Double, size: Double, bid: Double = 0, ask: Double = 0) {
        self.symbol = symbol
        self.timeUs = timeUs
        self.price = price
        self.size = size
        self.bid = bid
        self.ask = ask
    }
}

/// The ingest path every feed shares (the simulated market, Alpha Vantage's quotes): ownership of each symbol
/// (only its owner writes it), sequence numbers continuing from the high-water mark, the tick log appended a batch
/// at a time, each batch one script fenced by the owner's epoch, ticks fanned out in process, the latest quote cached, 1-minute bars built from
/// the ticks and written as each minute closes (invalidating what was derived from the old bars).
///
/// A feed owns one ingester and drives it from one task:
/// ```swift
/// var ingester = TickIngester(hub: hub, log: log, ownership: ownership, bars: sink, cache: cache)
/// await ingester.checkLeases(for: symbols)              // every second or so
/// await ingester.publish(symbol, ticks)                 // as trades arrive (dropped for symbols not owned)
/// await ingester.publish([("AAPL", a), ("MSFT", m)])    // or every symbol's batch in one pipelined write
/// await ingester.closeBars(upTo: now)                   // writes the minutes that ended
/// await ingester.releaseAll()                           // on shutdown
/// ```
///
/// Without ownership (no Redis and no database) every symbol is this instance's, numbered from 1.
public struct TickIngester: Sendable {
    public let hub: TickHub
    public let log: TickLog?
    public let ownership: (any SymbolOwnership)?
    public let bars: (any MinuteBarSink)?
    public let cache: MarketCache?

    /// What the ingester did, for tests and metrics.
    public struct Counters: Sendable, Equatable {
        public var published = 0
        public var appendFailures = 0
        public var barsWritten = 0
        public var leasesLost = 0

        public init() {}
    }

    public private(set) var counters = Counters()
    /// Told of the same events as ``counters`` as they happen (the server's metrics).
    public var observer: (any IngestObserver)?
    private var owned: [String: SymbolLease] = [:]
    private var nextSequence: [String: UInt64] = [:]
    private var builders: [String: MinuteBarBuilder] = [:]

    public init(
        hub: TickHub, log: TickLog? = nil, ownership: (any SymbolOwnership)? = nil, bars: (any MinuteBarSink)? = nil,
        cache: MarketCache? = nil
    ) {
        self.hub = hub
        self.log = log
        self.ownership = ownership
        self.bars = bars
        self.cache = cache
    }

    /// Whether this instance writes `symbol` now.
    public func owns(_ symbol: String) -> Bool { nextSequence[symbol] != nil }

    /// Renews the leases held (recording each symbol's high-water mark) and tries to take the `symbols` not owned;
    /// with no ownership, takes them all.
    public mutating func checkLeases(for symbols: [String]) async {
        guard let ownership else {
            for symbol in symbols where nextSequence[symbol] == nil { nextSequence[symbol] = 1 }
            return
        }
        for (symbol, lease) in owned {
            let last = (nextSequence[symbol] ?? 1) - 1
            if (try? await ownership.renew(lease, highWater: last)) == false {
                drop(symbol)
                counters.leasesLost += 1
                observer?.leaseLost()
            }
        }
        for symbol in symbols where owned[symbol] == nil {
            if let lease = try? await ownership.acquire(symbol) {
                owned[symbol] = lease
                nextSequence[symbol] = lease.highWater + 1
            }
        }
    }

    /// Numbers, logs, fans out and aggregates `ticks` of `symbol` (in time order); nothing happens for a symbol
    /// this instance does not own.
    public mutating func publish(_ symbol: String, _ ticks: [FeedTick]) async {
        await publish([(symbol: symbol, ticks: ticks)])
    }

    /// Numbers, logs, fans out and aggregates each symbol's `ticks` (in time order; one entry per symbol). The
    /// tick-log appends of all the symbols go in one pipelined write, each a single fenced script for its whole
    /// batch; a symbol this instance does not own is skipped, and one whose append was fenced off publishes nothing.
    public mutating func publish(_ batches: [(symbol: String, ticks: [FeedTick])]) async {
        let ingested = Self.nowUs()
        var numbered: [(symbol: String, ticks: [FeedTick], entries: [TickLog.Entry])] = []
        for (symbol, ticks) in batches {
            guard var sequence = nextSequence[symbol], !ticks.isEmpty else { continue }
            var entries: [TickLog.Entry] = []
            entries.reserveCapacity(ticks.count)
            for tick in ticks {
                entries.append(
                    TickLog.Entry(
                        sequence: sequence, timeMs: tick.timeUs / 1000, price: tick.price, size: tick.size,
                        bid: tick.bid, ask: tick.ask, ingestTimeUs: ingested))
                sequence += 1
            }
            numbered.append((symbol, ticks, entries))
        }
        guard !numbered.isEmpty else { return }
        let outcomes = await appendToLog(numbered.map { ($0.symbol, $0.entries) })
        var quotes: [(symbol: String, tick: PulseV1.Tick)] = []
        for ((symbol, ticks, entries), outcome) in zip(numbered, outcomes) {
            switch outcome {
            case .success: break
            case .failure(let error) where error.code == .server && error.message.hasPrefix("FENCED"):
                // Another instance took the symbol over: stop writing it, publish nothing of this batch.
                drop(symbol)
                counters.leasesLost += 1
                observer?.leaseLost()
                continue
            case .failure:
                // Redis is away: this instance's subscribers still get the ticks; the log has a gap that
                // other instances' subscribers are told of when they resume.
                counters.appendFailures += 1
                observer?.appendFailed(ticks: entries.count)
            }
            nextSequence[symbol] = entries[entries.count - 1].sequence + 1
            if let latest = await fanOut(symbol, ticks, entries) { quotes.append((symbol, latest)) }
        }
        if let cache, !quotes.isEmpty {
            try? await cache.setQuotes(quotes.map { ($0.symbol, $0.tick.serializedBytes()) })
        }
    }

    /// Appends each symbol's entries to the log (one pipelined write), as its owner; success where there is no log.
    private func appendToLog(_ batches: [(symbol: String, entries: [TickLog.Entry])]) async -> [Result<
        Void, RedisError
    >] {
        guard let log else { return batches.map { _ in .success(()) } }
        var outcomes = [Result<Void, RedisError>](repeating: .success(()), count: batches.count)
        var leased: [TickLog.Batch] = []
        var positions: [Int] = []
        for (index, batch) in batches.enumerated() {
            guard let lease = owned[batch.symbol] else { continue }
            leased.append(TickLog.Batch(symbol: batch.symbol, epoch: lease.epoch, entries: batch.entries))
            positions.append(index)
        }
        for (position, outcome) in zip(positions, await log.append(leased)) { outcomes[position] = outcome }
        return outcomes
    }

    /// Publishes one symbol's logged ticks to the hub and folds them into its minute bars; writes the minutes they
    /// completed. Returns the last tick (the symbol's latest quote).
    private mutating func fanOut(_ symbol: String, _ ticks: [FeedTick], _ entries: [TickLog.Entry]) async
        -> PulseV1.Tick?
    {
        // Only a watched symbol needs the subscribers woken tick by tick (below); the others go straight through.
        let watched = hub.hasSubscribers(symbol)
        var completed: [MinuteBarBuilder.Bar] = []
        var builder = builders.removeValue(forKey: symbol) ?? MinuteBarBuilder(symbol: symbol)
        var messages: [PulseV1.Tick] = []
        messages.reserveCapacity(watched ? 0 : ticks.count)
        var latest: PulseV1.Tick?
        for (tick, entry) in zip(ticks, entries) {
            var message = PulseV1.Tick(
                symbol: symbol, sequence: entry.sequence, timeMs: entry.timeMs, price: tick.price, size: tick.size)
            message.bid = tick.bid
            message.ask = tick.ask
            message.ingestTimeUs = entry.ingestTimeUs
            if watched {
                hub.publish(message)
                // Let the subscribers this tick woke take it before the next one of the same symbol comes: ticks
                // published back to back would conflate for every reader, however fast.
                if entry.sequence != entries.last?.sequence { await Task.yield() }
            } else {
                messages.append(message)
            }
            latest = message
            if let bar = builder.add(timeUs: tick.timeUs, price: tick.price, size: tick.size) {
                completed.append(bar)
            }
        }
        builders[symbol] = builder
        // Nobody watches: the whole run in one step of the hub (one lock, one lookup) instead of one per tick.
        if !watched { hub.publish(messages, of: symbol) }
        counters.published += ticks.count
        observer?.published(ticks: ticks.count)
        if !completed.isEmpty { await write(symbol, completed) }
        return latest
    }

    /// Writes the bars of every minute that ended by `timeUs`.
    public mutating func closeBars(upTo timeUs: Int64) async {
        for symbol in builders.keys {
            if let bar = builders[symbol]?.close(upTo: timeUs) { await write(symbol, [bar]) }
        }
    }

    /// Gives every symbol up at once, so another instance takes them over without waiting for expiry.
    public mutating func releaseAll() async {
        if let ownership {
            for lease in owned.values { await ownership.release(lease) }
        }
        owned.removeAll()
        nextSequence.removeAll()
    }

    private mutating func drop(_ symbol: String) {
        owned[symbol] = nil
        nextSequence[symbol] = nil
    }

    private mutating func write(_ symbol: String, _ completed: [MinuteBarBuilder.Bar]) async {
        guard let bars else { return }
        do {
            try await bars.write(symbol: symbol, bars: completed)
            counters.barsWritten += completed.count
            observer?.barsWritten(completed.count)
            // New bars landed: what was computed from the old ones is stale.
            if let cache { try? await cache.invalidate(symbol) }
        } catch {
            // The sink keeps its own spool (PostgreSQL down); a failure here is counted, not fatal.
        }
    }

    public static func nowUs() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}

/// What an ingester reports as it goes (metrics), beside its own ``TickIngester/Counters``.
public protocol IngestObserver: Sendable {
    func published(ticks: Int)
    /// A tick-log append failed (Redis away): `ticks` sequence numbers are missing from the log.
    func appendFailed(ticks: Int)
    func barsWritten(_ count: Int)
    func leaseLost()
}
