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

    @Test("a replay at the top while another client appends never calls a tick missing that the log holds")
    func replayRacingAppends() async throws {
        try await TestRedis.with { server, redis in
            let writer = RedisClient(configuration: try RedisConfiguration(url: server.url), loop: redis.loop)
            #expect(await writer.waitUntilConnected(timeout: .seconds(5)))
            let appender = TickLog(redis: writer)
            _ = try await appender.claim("RACE", epoch: 1)
            let total: UInt64 = 3_000
            let appending = Task {
                for sequence in 1...total { try await appender.append("RACE", epoch: 1, ticks(sequence...sequence)) }
            }
            // A reader that keeps up with the writer asks mostly at the top, where an append lands between its
            // reads; nothing is trimmed and nothing skipped, so any `missing` is a false gap.
            let reader = TickLog(redis: redis)
            var last: UInt64 = 0
            var falseGaps: [ClosedRange<UInt64>] = []
            while last < total {
                let replay = try await reader.replay("RACE", after: last, limit: 50)
                if let missing = replay.missing { falseGaps.append(missing) }
                #expect(replay.entries.map(\.sequence) == Array((last + 1)..<(last + 1 + UInt64(replay.entries.count))))
                last = replay.entries.last?.sequence ?? last
            }
            try await appending.value
            #expect(falseGaps.count == 0, "reported missing though logged: \(falseGaps.prefix(5))")
            await writer.close()
        }
    }
}

@Suite("Tick log: batched, packed appends", .serialized)
struct TickLogBatchTests {
    private func ticks(_ sequences: [UInt64], price base: Double = 100) -> [TickLog.Entry] {
        sequences.map {
            TickLog.Entry(
                sequence: $0, timeMs: 1_700_000_000_000 + Int64($0), price: base + Double($0) / 8, size: Double($0),
                bid: base - 0.25, ask: base + 0.25, ingestTimeUs: 1_700_000_000_000_000 + Int64($0))
        }
    }

    @Test("an entry is one field of 48 little-endian bytes, laid out as the protocol says")
    func packedLayout() async throws {
        try await TestRedis.with { _, redis in
            let log = TickLog(redis: redis)
            _ = try await log.claim("PACK", epoch: 1)
            try await log.append(
                "PACK", epoch: 1,
                [TickLog.Entry(sequence: 1, timeMs: 258, price: 1.5, size: -2, bid: 0.25, ask: 3, ingestTimeUs: 65_536)]
            )
            let raw = try await redis.command("XRANGE", "tick:{PACK}", "-", "+")
            let entry = try #require(raw.array?.first?.array)
            #expect(entry[0].string == "1-0")
            let fields = try #require(entry[1].array)
            #expect(fields.count == 2)
            #expect(fields[0].string == "tick")
            // Written out by hand: 258 = 0x0102; 1.5 = 0x3FF8…; -2 = 0xC000…; 0.25 = 0x3FD0…; 3 = 0x4008…; 65536 = 0x1_0000.
            let expected: [UInt8] =
                [0x02, 0x01, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0xF8, 0x3F] + [0, 0, 0, 0, 0, 0, 0x00, 0xC0]
                + [0, 0, 0, 0, 0, 0, 0xD0, 0x3F] + [0, 0, 0, 0, 0, 0, 0x08, 0x40] + [0, 0, 0x01, 0, 0, 0, 0, 0]
            #expect(fields[1] == .bulk(expected))
        }
    }

    @Test("pipelined batches of several symbols across a fencing change: the fenced one lands nothing, the others on")
    func batchesAcrossFencing() async throws {
        try await TestRedis.with { _, redis in
            let log = TickLog(redis: redis)
            for symbol in ["A", "B", "C"] { #expect(try await log.claim(symbol, epoch: 1)) }
            var next: [String: UInt64] = ["A": 1, "B": 1, "C": 1]
            func batch(_ symbol: String, epoch: UInt64, count: UInt64) -> TickLog.Batch {
                let first = next[symbol]!
                return TickLog.Batch(symbol: symbol, epoch: epoch, entries: ticks(Array(first..<(first + count))))
            }
            for round in 0..<20 {
                if round == 10 {
                    // Another owner takes B over between two batches.
                    #expect(try await log.claim("B", epoch: 2))
                }
                let batches = [
                    batch("A", epoch: 1, count: 50), batch("B", epoch: 1, count: 30), batch("C", epoch: 1, count: 7),
                ]
                let outcomes = await log.append(batches)
                for (batch, outcome) in zip(batches, outcomes) {
                    if round >= 10 && batch.symbol == "B" {
                        guard case .failure(let error) = outcome else {
                            Issue.record("a fenced-off batch of B was accepted in round \(round)")
                            continue
                        }
                        #expect(error.message.hasPrefix("FENCED"))
                    } else {
                        #expect((try? outcome.get()) != nil, "\(batch.symbol) round \(round): \(outcome)")
                        next[batch.symbol]! += UInt64(batch.entries.count)
                    }
                }
            }
            // Order and numbering unbroken, every field as written.
            for (symbol, count) in [("A", UInt64(1_000)), ("B", 300), ("C", 140)] {
                let replay = try await log.replay(symbol, after: 0, limit: 100_000)
                #expect(replay.missing == nil)
                #expect(replay.entries == ticks(Array(1...count)), "\(symbol)")
            }
            // The new owner continues B's numbering where the fenced one stopped.
            try await log.append("B", epoch: 2, ticks([301, 302]))
            #expect(try await log.lastSequence("B") == 302)
        }
    }

    @Test("sequences with holes in one batch keep their own ids; a pipelined append reloads a forgotten script")
    func holesAndForgottenScript() async throws {
        try await TestRedis.with { _, redis in
            let log = TickLog(redis: redis)
            _ = try await log.claim("H", epoch: 3)
            _ = try await log.claim("I", epoch: 3)
            try await log.append("H", epoch: 3, ticks([1, 2, 3, 7, 8, 20]))
            let replay = try await log.replay("H", after: 0)
            #expect(replay.entries == ticks([1, 2, 3, 7, 8, 20]))
            try await redis.command("SCRIPT", "FLUSH")
            let outcomes = await log.append([
                TickLog.Batch(symbol: "H", epoch: 3, entries: ticks([21, 22])),
                TickLog.Batch(symbol: "I", epoch: 3, entries: ticks([1])),
            ])
            #expect(outcomes.allSatisfy { (try? $0.get()) != nil })
            #expect(try await log.lastSequence("H") == 22)
            #expect(try await log.lastSequence("I") == 1)
        }
    }

    @Test("a batch longer than one script's share goes as several scripts, in order, numbering unbroken")
    func longBatchInSeveralScripts() async throws {
        try await TestRedis.with { _, redis in
            var log = TickLog(redis: redis)
            log.maxEntriesPerScript = 10
            _ = try await log.claim("LONG", epoch: 1)
            _ = try await log.claim("SHORT", epoch: 1)
            let outcomes = await log.append([
                TickLog.Batch(symbol: "LONG", epoch: 1, entries: ticks(Array(1...35))),
                TickLog.Batch(symbol: "SHORT", epoch: 1, entries: ticks([1, 2])),
            ])
            #expect(outcomes.allSatisfy { (try? $0.get()) != nil })
            #expect(try await log.replay("LONG", after: 0).entries == ticks(Array(1...35)))
            #expect(try await log.replay("SHORT", after: 0).entries == ticks([1, 2]))
        }
    }

    @Test("entries written in the earlier text format are still read")
    func legacyEntries() async throws {
        try await TestRedis.with { _, redis in
            try await redis.command(
                "XADD", "tick:{OLD}", "5-0", "t", "1700000000123", "p", "215.31", "s", "100", "b", "215.3", "a",
                "215.32", "i", "1700000000123456")
            let log = TickLog(redis: redis)
            let replay = try await log.replay("OLD", after: 4)
            #expect(
                replay.entries == [
                    TickLog.Entry(
                        sequence: 5, timeMs: 1_700_000_000_123, price: 215.31, size: 100, bid: 215.3, ask: 215.32,
                        ingestTimeUs: 1_700_000_000_123_456)
                ])
        }
    }
}
