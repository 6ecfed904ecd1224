import Foundation
import PulseIO
import PulseStore
import PulseTestSupport
import Testing

@testable import PulseMarketData

/// The minute-bar spool against a real PostgreSQL that the test stops and starts: bars written while it is down
/// reach it, in order and bit for bit, once it is back; the spool survives the process (a new sink drains what
/// an old one left); the bound keeps the oldest bars and counts the dropped ones.
@Suite("Minute-bar spool with PostgreSQL stopped and started", .serialized)
struct SpoolingMinuteBarsTests {
    /// Hand-made bars: minute `i` of a fixed day, prices that need every bit of a Double.
    static func bar(_ i: Int) -> MinuteBarBuilder.Bar {
        let base = 100.0 + Double(i) / 3
        return MinuteBarBuilder.Bar(
            startMs: 1_767_000_000_000 + Int64(i) * 60_000, open: base, high: base + 0.1, low: base - 0.1,
            close: base + 1e-9, volume: Double(1000 + i), trades: 3)
    }

    @Test func spooledBarsReachPostgresInOrderOnceItReturns() async throws {
        let server = try await TestPostgres()
        defer { server.remove() }
        let spoolDirectory = NSTemporaryDirectory() + "pulse-spool-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: spoolDirectory) }
        let blocking = try BlockingPool(threads: 1)
        defer { blocking.shutdown() }
        let configuration = try PostgresConfiguration(url: server.url)
        try await withLoop { loop in
            let migrations = try await PostgresConnection.connect(to: configuration, on: loop)
            _ = try await SchemaMigrations.apply(on: migrations)
            migrations.close()
            let pool = PostgresPool(configuration: configuration, loop: loop)
            defer { pool.close() }
            let sink = try await SpoolingMinuteBars(
                inner: PostgresMinuteBars(pool: pool), directory: spoolDirectory, loop: loop, blocking: blocking)
            try await sink.write(symbol: "SPL", bars: [Self.bar(0)])
            #expect(sink.statistics.spooled == 0)

            try await server.stop()
            for i in 1...5 { try await sink.write(symbol: "SPL", bars: [Self.bar(i)]) }
            #expect(sink.statistics.spooled == 5)
            #expect(sink.statistics.pending == 5)
            let lines = try String(contentsOfFile: sink.path, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 5)
            // A second process may not share the spool.
            await #expect(throws: IOError.self) {
                _ = try await SpoolingMinuteBars(
                    inner: PostgresMinuteBars(pool: pool), directory: spoolDirectory, loop: loop, blocking: blocking)
            }

            try await server.start()
            // The pool reconnects with backoff: flush until it has drained (only success ends the wait).
            let deadline = ContinuousClock.now + .seconds(60)
            while sink.statistics.pending > 0 && ContinuousClock.now < deadline {
                sink.flush()
                try await loop.sleep(nanoseconds: 100_000_000)
            }
            #expect(sink.statistics.pending == 0)
            #expect(sink.statistics.drained == 5)
            // A bar written after the drain goes straight through.
            try await sink.write(symbol: "SPL", bars: [Self.bar(6)])
            #expect(sink.statistics.spooled == 5)

            let stored = try await pool.withConnection { connection in
                let store = BarStore(connection: connection)
                let id = try await store.symbolID(for: "SPL", source: "simulated")
                return try await store.read(symbolID: id, timeframe: "1m")
            }
            let expected = (0...6).map { Self.bar($0) }
            #expect(stored.timestamps == expected.map { $0.startMs * 1000 })
            #expect(stored.open == expected.map(\.open))
            #expect(stored.close == expected.map(\.close))
            #expect(stored.volume == expected.map(\.volume))
            #expect(try String(contentsOfFile: sink.path, encoding: .utf8).isEmpty)
        }
    }

    @Test func aNewSinkDrainsWhatAnEarlierProcessSpooled() async throws {
        let server = try await TestPostgres()
        defer { server.remove() }
        let spoolDirectory = NSTemporaryDirectory() + "pulse-spool-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: spoolDirectory) }
        let blocking = try BlockingPool(threads: 1)
        defer { blocking.shutdown() }
        let configuration = try PostgresConfiguration(url: server.url)
        try await withLoop { loop in
            let migrations = try await PostgresConnection.connect(to: configuration, on: loop)
            _ = try await SchemaMigrations.apply(on: migrations)
            migrations.close()
            try await server.stop()
            do {
                let pool = PostgresPool(configuration: configuration, loop: loop)
                defer { pool.close() }
                let first = try await SpoolingMinuteBars(
                    inner: PostgresMinuteBars(pool: pool), directory: spoolDirectory, loop: loop, blocking: blocking)
                for i in 0..<3 { try await first.write(symbol: "RST", bars: [Self.bar(i)]) }
                #expect(first.statistics.pending == 3)
                first.close()  // as the process's exit would
            }
            try await server.start()
            let pool = PostgresPool(configuration: configuration, loop: loop)
            defer { pool.close() }
            let second = try await SpoolingMinuteBars(
                inner: PostgresMinuteBars(pool: pool), directory: spoolDirectory, loop: loop, blocking: blocking)
            // It may be draining already (PostgreSQL is up), so its pending count is a race; the first sink never
            // reached PostgreSQL, so every bar stored below came through this one from the spool.
            let deadline = ContinuousClock.now + .seconds(60)
            while second.statistics.pending > 0 && ContinuousClock.now < deadline {
                second.flush()
                try await loop.sleep(nanoseconds: 100_000_000)
            }
            let stored = try await pool.withConnection { connection in
                let store = BarStore(connection: connection)
                let id = try await store.symbolID(for: "RST", source: "simulated")
                return try await store.read(symbolID: id, timeframe: "1m")
            }
            #expect(stored.open == (0..<3).map { Self.bar($0).open })
        }
    }

    @Test func aFullSpoolKeepsTheOldestAndCountsTheDropped() async throws {
        let server = try await TestPostgres()
        defer { server.remove() }
        try await server.stop()
        let spoolDirectory = NSTemporaryDirectory() + "pulse-spool-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: spoolDirectory) }
        let blocking = try BlockingPool(threads: 1)
        defer { blocking.shutdown() }
        let configuration = try PostgresConfiguration(url: server.url)
        // Room for bars 0-3 and half of bar 4 (lines differ in length: bar 5 would fit where 4 did not, and must
        // still be dropped, or the kept bars would have a hole).
        let sizes = (0..<10).map { SpoolingMinuteBars.encodedSize(symbol: "FULL", Self.bar($0)) }
        try await withLoop { loop in
            let pool = PostgresPool(configuration: configuration, loop: loop)
            defer { pool.close() }
            let sink = try await SpoolingMinuteBars(
                inner: PostgresMinuteBars(pool: pool), directory: spoolDirectory, loop: loop, blocking: blocking,
                maxBytes: sizes[0..<4].reduce(0, +) + sizes[4] / 2)
            for i in 0..<10 { try await sink.write(symbol: "FULL", bars: [Self.bar(i)]) }
            #expect(sink.statistics.pending == 4)
            #expect(sink.statistics.dropped == 6)
            let kept = try String(contentsOfFile: sink.path, encoding: .utf8).split(separator: "\n")
            #expect(kept.map { $0.split(separator: " ")[1] } == (0..<4).map { "\(Self.bar($0).startMs)" })
        }
    }

    func withLoop(_ body: @escaping @Sendable (EventLoop) async throws -> Void) async throws {
        let loop = try EventLoop()
        defer {
            loop.stop()
            loop.join()
        }
        try await Task(executorPreference: loop) { try await body(loop) }.value
    }
}
