import PulseTestSupport
import Testing

@testable import PulseStore

@Suite("Tick log: Redis Streams with fenced writers", .serialized)
struct TickLogTests {
    private func ticks(_ sequences: ClosedRange<UInt64>, timeMs base: Int64 = 1_700_000_000_000) -> [TickLog.Entry] {
        sequences.map {
            TickLog.Entry(
                sequence: $0, timeMs: base + Int64($0) * 10, price: 100 + Double($0) / 100, size: 5, bid: 99.99,
                ask: 100.01, ingestTimeUs: 1_700_000_000_000_000 + Int64($0))
        }
    }

    @Test("appends carry the sequence as the entry id; a resume is what came after")
    func appendAndReplay() async throws {
        try await TestRedis.with { _, redis in
            let log = TickLog(redis: redis)
            #expect(try await log.claim("AAPL", epoch: 1))
            try await log.append("AAPL", epoch: 1, ticks(1...50))
            #expect(try await log.lastSequence("AAPL") == 50)
            let replay = try await log.replay("AAPL", after: 40)
            #expect(replay.entries == ticks(41...50))
            #expect(replay.missing == nil)
            #expect(try await log.replay("AAPL", after: 50) == TickLog.Replay(entries: [], missing: nil))
            // Redis forgot the script (a restart, SCRIPT FLUSH): the next append loads it again.
            try await redis.command("SCRIPT", "FLUSH")
            try await log.append("AAPL", epoch: 1, ticks(51...52))
            #expect(try await log.lastSequence("AAPL") == 52)
            // The ids are visible to any Redis client as <sequence>-0.
            let raw = try await redis.command("XRANGE", "tick:{AAPL}", "-", "+", "COUNT", 1)
            #expect(raw.array?.first?.array?.first?.string == "1-0")
        }
    }

    @Test("a fenced-off writer is refused, atomically with the XADD, and a stale epoch cannot reclaim")
    func fencing() async throws {
        try await TestRedis.with { _, redis in
            let log = TickLog(redis: redis)
            #expect(try await log.claim("MSFT", epoch: 1))
            try await log.append("MSFT", epoch: 1, ticks(1...10))
            // A new owner takes over with a later epoch and continues the numbering.
            #expect(try await log.claim("MSFT", epoch: 2))
            try await log.append("MSFT", epoch: 2, ticks(11...12))
            // The old owner, not knowing, tries to write: refused, and nothing of its batch lands.
            let error = await #expect(throws: RedisError.self) {
                try await log.append("MSFT", epoch: 1, ticks(13...14))
            }
            #expect(error?.message.hasPrefix("FENCED") == true)
            #expect(try await log.lastSequence("MSFT") == 12)
            #expect(try await !log.claim("MSFT", epoch: 1))
            // Redis itself refuses a sequence at or below the top, even from the owner.
            await #expect(throws: RedisError.self) { try await log.append("MSFT", epoch: 2, ticks(12...12)) }
        }
    }

    @Test("trimmed ticks are reported as a gap before the replay; count retention keeps about maxLength")
    func retentionAndGap() async throws {
        try await TestRedis.with { _, redis in
            var log = TickLog(redis: redis, maxLength: 1_000)
            _ = try await log.claim("SPY", epoch: 7)
            for start in stride(from: UInt64(1), through: 4_901, by: 100) {
                try await log.append("SPY", epoch: 7, ticks(start...(start + 99)))
            }
            let length = try await redis.command("XLEN", "tick:{SPY}").integer ?? 0
            #expect(length >= 1_000 && length < 1_200)  // MAXLEN ~ trims whole macro nodes
            let replay = try await log.replay("SPY", after: 10, limit: 5)
            let first = try #require(replay.entries.first?.sequence)
            #expect(replay.missing == 11...(first - 1))
            #expect(replay.entries.map(\.sequence) == Array(first..<(first + 5)))
            // Age retention: ticks older than a minute before the newest go.
            log.maxLength = 1_000_000
            log.maxAge = .seconds(60)
            log.timeTrimInterval = 100
            let late = ticks(5_001...5_100, timeMs: 1_700_000_000_000 + 3_600_000)
            try await log.append("SPY", epoch: 7, late)
            let oldest = try await redis.command("XRANGE", "tick:{SPY}", "-", "+", "COUNT", 1)
            let oldestID = try #require(oldest.array?.first?.array?.first?.string)
            #expect(TickLog.sequence(ofID: oldestID)! > 4_000)
        }
    }

    @Test("follow waits for new ticks on several symbols and returns them by symbol")
    func follow() async throws {
        try await TestRedis.with { server, redis in
            let writer = RedisClient(configuration: try RedisConfiguration(url: server.url), loop: redis.loop)
            #expect(await writer.waitUntilConnected(timeout: .seconds(5)))
            let log = TickLog(redis: writer)
            _ = try await log.claim("A", epoch: 1)
            _ = try await log.claim("B", epoch: 1)
            try await log.append("A", epoch: 1, ticks(1...3))
            let reader = TickLog(redis: redis)
            let waiting = Task { try await reader.follow(["A": 3, "B": 0], block: .seconds(5)) }
            try await Task.sleep(for: .milliseconds(100))
            try await log.append("B", epoch: 1, ticks(1...2))
            let got = try await waiting.value
            #expect(got["B"]?.map(\.sequence) == [1, 2])
            #expect(got["A"] == nil)
            // Nothing new: an empty answer after the block time, no error.
            let none = try await reader.follow(["A": 3, "B": 2], block: .milliseconds(100))
            #expect(none.isEmpty)
            await writer.close()
        }
    }
}
