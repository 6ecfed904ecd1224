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
/// (only its owner writes it), sequence numbers continuing from the high-water mark, the tick log appended
/// fenced by the owner's epoch, ticks fanned out in process, the latest quote cached, 1-minute bars built from
/// the ticks and written as each minute closes (invalidating what was derived from the old bars).
///
/// A feed owns one ingester and drives it from one task:
/// ```swift
/// var ingester = TickIngester(hub: hub, log: log, ownership: ownership, bars: sink, cache: cache)
/// await ingester.checkLeases(for: symbols)              // every second or so
/// await ingester.publish(symbol, ticks)                 // as trades arrive (dropped for symbols not owned)
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
        guard var sequence = nextSequence[symbol], !ticks.isEmpty else { return }
        let ingested = Self.nowUs()
        var entries: [TickLog.Entry] = []
        entries.reserveCapacity(ticks.count)
        for tick in ticks {
            entries.append(
                TickLog.Entry(
                    sequence: sequence, timeMs: tick.timeUs / 1000, price: tick.price, size: tick.size, bid: tick.bid,
                    ask: tick.ask, ingestTimeUs: ingested))
            sequence += 1
        }
        if let log, let lease = owned[symbol] {
            do {
                try await log.append(symbol, epoch: lease.epoch, entries)
            } catch let error where error.code == .server && error.message.hasPrefix("FENCED") {
                // Another instance took the symbol over: stop writing it, publish nothing of this batch.
                drop(symbol)
                counters.leasesLost += 1
                return
            } catch {
                // Redis is away: this instance's subscribers still get the ticks; the log has a gap that
                // other instances' subscribers are told of when they resume.
                counters.appendFailures += 1
            }
        }
        nextSequence[symbol] = sequence
        var completed: [MinuteBarBuilder.Bar] = []
        var latest: PulseV1.Tick?
        for (tick, entry) in zip(ticks, entries) {
            var message = PulseV1.Tick(
                symbol: symbol, sequence: entry.sequence, timeMs: entry.timeMs, price: tick.price, size: tick.size)
            message.bid = tick.bid
            message.ask = tick.ask
            message.ingestTimeUs = ingested
            hub.publish(message)
            // Let the subscribers this tick woke take it before the next one of the same symbol comes: ticks
            // published back to back would conflate for every reader, however fast.
            if entry.sequence != entries.last?.sequence { await Task.yield() }
            latest = message
            if let bar = builders[symbol, default: MinuteBarBuilder(symbol: symbol)].add(
                timeUs: tick.timeUs, price: tick.price, size: tick.size)
            {
                completed.append(bar)
            }
        }
        counters.published += ticks.count
        if let cache, let latest { try? await cache.setQuote(symbol, latest.serializedBytes()) }
        if !completed.isEmpty { await write(symbol, completed) }
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
