import PulseIO
import PulseProtocol
import PulseStore
import PulseTestSupport
import Synchronization
import Testing

@testable import PulseMarketData

/// Collects bars in memory, as a stand-in sink that a test can read.
final class CollectedBars: MinuteBarSink {
    let bars = Mutex<[String: [MinuteBarBuilder.Bar]]>([:])
    func write(symbol: String, bars completed: [MinuteBarBuilder.Bar]) async throws {
        bars.withLock { $0[symbol, default: []] += completed }
    }
}

@Suite("Simulated feed as an ingester, against real Redis", .serialized)
struct SimulatedFeedTests {
    static let symbols = ["AAPL", "MSFT", "GOOG", "AMZN"]

    private func feed(_ redis: RedisClient, instance: String, hub: TickHub, rate: Double = 2_000) -> SimulatedFeed {
        let log = TickLog(redis: redis)
        var feed = SimulatedFeed(
            market: .init(seed: 5, symbols: Self.symbols, ticksPerSecond: rate), hub: hub, log: log,
            ownership: RedisOwnership(redis: redis, log: log, instance: instance, leaseTime: .seconds(2)))
        feed.leaseCheck = .milliseconds(200)
        return feed
    }

    @Test("ticks reach the log numbered 1, 2, 3… and the hub with the same numbers and an ingest time")
    func ingests() async throws {
        try await TestRedis.with { _, redis in
            let hub = TickHub()
            let subscription = hub.subscribe(to: ["AAPL"])
            let running = Task { await feed(redis, instance: "a", hub: hub).run() }
            var received: [PulseV1.Tick] = []
            for await event in subscription {
                guard let tick = event.tick else { continue }
                received.append(tick)
                if received.count == 50 { break }
            }
            running.cancel()
            let counters = await running.value
            #expect(counters.published > 0 && counters.appendFailures == 0)
            // Sequences as delivered account for every tick (conflation says how many it skipped).
            var expected: UInt64 = 1
            for tick in received {
                #expect(tick.sequence == expected + UInt64(tick.conflated))
                expected = tick.sequence + 1
                #expect(tick.ingestTimeUs > 1_700_000_000_000_000)
            }
            let log = TickLog(redis: redis)
            let replay = try await log.replay("AAPL", after: 0, limit: 100_000)
            #expect(replay.entries.map(\.sequence) == Array(1...UInt64(replay.entries.count)))
            let logged = Dictionary(uniqueKeysWithValues: replay.entries.map { ($0.sequence, $0) })
            for tick in received {
                #expect(logged[tick.sequence]?.price == tick.price)
                #expect(logged[tick.sequence]?.ingestTimeUs == tick.ingestTimeUs)
            }
        }
    }

    @Test("two instances racing share the symbols: each symbol has exactly one writer, numbering unbroken")
    func twoInstances() async throws {
        try await TestRedis.with { server, redis in
            let other = RedisClient(configuration: try RedisConfiguration(url: server.url), loop: redis.loop)
            #expect(await other.waitUntilConnected(timeout: .seconds(5)))
            let first = Task { await feed(redis, instance: "a", hub: TickHub()).run() }
            let second = Task { await feed(other, instance: "b", hub: TickHub()).run() }
            try await Task.sleep(for: .milliseconds(800))
            first.cancel()
            second.cancel()
            let (a, b) = (await first.value, await second.value)
            #expect(a.published > 0 || b.published > 0)
            #expect(a.leasesLost == 0 && b.leasesLost == 0)
            // Each symbol's log is one unbroken run 1…n: a second writer would have broken or duplicated it.
            for symbol in Self.symbols {
                let replay = try await TickLog(redis: redis).replay(symbol, after: 0, limit: 100_000)
                let sequences = replay.entries.map(\.sequence)
                #expect(!sequences.isEmpty)
                #expect(sequences == Array(1...UInt64(max(sequences.count, 1))))
            }
            await other.close()
        }
    }

    @Test("a feed catching up draws ahead while it appends, and logs exactly the market's ticks, in order")
    func catchingUpKeepsTheMarket() async throws {
        try await TestRedis.with { _, redis in
            let start = TickIngester.nowUs() - 3_000_000
            var catchingUp = feed(redis, instance: "a", hub: TickHub(), rate: 20_000)
            catchingUp.startUs = start
            let running = Task { await catchingUp.run() }
            try await Task.sleep(for: .milliseconds(1_500))
            running.cancel()
            let counters = await running.value
            // Three seconds behind at 20,000 ticks/s: more than one 100 ms round, so rounds were drawn ahead.
            #expect(counters.published > 4_000)
            var market = SimulatedMarket(
                configuration: .init(seed: 5, symbols: Self.symbols, ticksPerSecond: 20_000), startUs: start)
            let drawn = Dictionary(grouping: market.ticks(until: TickIngester.nowUs()), by: \.symbol)
            for symbol in Self.symbols {
                let logged = try await TickLog(redis: redis).replay(symbol, after: 0, limit: 100_000).entries
                #expect(!logged.isEmpty)
                #expect(logged.map(\.sequence) == Array(1...UInt64(max(logged.count, 1))))
                let expected = (drawn[symbol] ?? []).prefix(logged.count)
                #expect(logged.map(\.timeMs) == expected.map { $0.timeUs / 1000 })
                #expect(logged.map(\.price) == expected.map(\.price))
            }
        }
    }

    @Test("a new owner continues the numbering where the last one stopped")
    func takeoverContinues() async throws {
        try await TestRedis.with { _, redis in
            var first = feed(redis, instance: "a", hub: TickHub())
            first.leaseCheck = .milliseconds(100)
            let running = Task { await first.run() }
            try await Task.sleep(for: .milliseconds(400))
            running.cancel()
            _ = await running.value
            let log = TickLog(redis: redis)
            let before = try await log.lastSequence("MSFT")
            #expect(before > 0)
            // The first owner's lease is released on stop (or expires); a second instance takes over.
            try await Task.sleep(for: .milliseconds(100))
            for symbol in Self.symbols { try await redis.command("DEL", RedisArgument("owner:{\(symbol)}")) }
            let second = Task { await feed(redis, instance: "b", hub: TickHub()).run() }
            try await Task.sleep(for: .milliseconds(400))
            second.cancel()
            _ = await second.value
            let replay = try await log.replay("MSFT", after: 0, limit: 100_000)
            #expect(replay.entries.map(\.sequence) == Array(1...UInt64(replay.entries.count)))
            #expect(UInt64(replay.entries.count) > before)
            // The old owner's epoch is fenced off.
            await #expect(throws: RedisError.self) {
                try await log.append("MSFT", epoch: 1, [TickLog.Entry(sequence: 1_000_000, timeMs: 0, price: 1)])
            }
        }
    }
}
