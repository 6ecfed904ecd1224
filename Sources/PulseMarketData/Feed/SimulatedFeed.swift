import PulseProtocol
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// Where completed 1-minute bars go (PostgreSQL's COPY path in production).
public protocol MinuteBarSink: Sendable {
    func write(symbol: String, bars: [MinuteBarBuilder.Bar]) async throws
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
    public struct Counters: Sendable, Equatable {
        public var published = 0
        public var appendFailures = 0
        public var barsWritten = 0
        public var leasesLost = 0
    }

    /// Runs until the task is cancelled; returns what it did.
    @discardableResult
    public func run() async -> Counters {
        var counters = Counters()
        var owned: [String: SymbolLease] = [:]
        var nextSequence: [String: UInt64] = [:]
        var builders: [String: MinuteBarBuilder] = [:]
        var lastLeaseCheck = ContinuousClock.now - leaseCheck
        var simulated = SimulatedMarket(configuration: market, startUs: Self.nowUs())
        while !Task.isCancelled {
            if ContinuousClock.now - lastLeaseCheck >= leaseCheck {
                lastLeaseCheck = .now
                await checkLeases(&owned, &nextSequence, &counters)
            }
            let now = Self.nowUs()
            var batches: [String: [SimulatedMarket.Tick]] = [:]
            for tick in simulated.ticks(until: now) where nextSequence[tick.symbol] != nil {
                batches[tick.symbol, default: []].append(tick)
            }
            for (symbol, batch) in batches {
                await publish(symbol, batch, &owned, &nextSequence, &builders, &counters)
            }
            for symbol in builders.keys {
                if let bar = builders[symbol]?.close(upTo: now) { await write(symbol, [bar], &counters) }
            }
            try? await Task.sleep(for: interval)
        }
        // Give the symbols up at once, so another instance takes them over without waiting for expiry.
        if let ownership {
            for lease in owned.values { await ownership.release(lease) }
        }
        return counters
    }

    private func checkLeases(
        _ owned: inout [String: SymbolLease], _ nextSequence: inout [String: UInt64], _ counters: inout Counters
    ) async {
        guard let ownership else {
            for symbol in market.symbols where nextSequence[symbol] == nil { nextSequence[symbol] = 1 }
            return
        }
        for (symbol, lease) in owned {
            let last = (nextSequence[symbol] ?? 1) - 1
            if (try? await ownership.renew(lease, highWater: last)) == false {
                owned[symbol] = nil
                nextSequence[symbol] = nil
                counters.leasesLost += 1
            }
        }
        for symbol in market.symbols where owned[symbol] == nil {
            if let lease = try? await ownership.acquire(symbol) {
                owned[symbol] = lease
                nextSequence[symbol] = lease.highWater + 1
            }
        }
    }

    private func publish(
        _ symbol: String, _ batch: [SimulatedMarket.Tick], _ owned: inout [String: SymbolLease],
        _ nextSequence: inout [String: UInt64], _ builders: inout [String: MinuteBarBuilder],
        _ counters: inout Counters
    ) async {
        guard var sequence = nextSequence[symbol] else { return }
        let ingested = Self.nowUs()
        var entries: [TickLog.Entry] = []
        entries.reserveCapacity(batch.count)
        for tick in batch {
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
                owned[symbol] = nil
                nextSequence[symbol] = nil
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
        for (tick, entry) in zip(batch, entries) {
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
        counters.published += batch.count
        if let cache, let latest { try? await cache.setQuote(symbol, latest.serializedBytes()) }
        if !completed.isEmpty { await write(symbol, completed, &counters) }
    }

    private func write(_ symbol: String, _ completed: [MinuteBarBuilder.Bar], _ counters: inout Counters) async {
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

    static func nowUs() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}
