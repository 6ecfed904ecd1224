import PulseIO
import PulseStore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("BarStore: partitions, COPY, idempotent upsert", requiresPostgres)
struct BarStoreTests {
    static let day: Int64 = 86_400 * 1_000_000

    /// `count` daily bars from `start` (µs since the Unix epoch) with prices derived from the index.
    static func dailyBars(from start: Int64, count: Int, offset: Double = 0) -> StoredBars {
        let indices = (0..<count).map(Double.init)
        return StoredBars(
            timestamps: (0..<count).map { start + Int64($0) * day },
            open: indices.map { 100 + $0 + offset }, high: indices.map { 101.5 + $0 + offset },
            low: indices.map { 99.25 + $0 + offset }, close: indices.map { 100.75 + $0 + offset },
            volume: indices.map { 1_000 * $0 })
    }

    /// Seconds since the Unix epoch of 00:00 UTC on January 1 of `year`.
    static func yearStart(_ year: Int) -> Int64 {
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mday = 1
        return Int64(timegm(&parts))
    }

    static var nextYear: Int {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        return Int(parts.tm_year) + 1900 + 1
    }

    @Test func writesCreateYearlyPartitionsFor2001AndNextYear() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { connection in
                try await SchemaMigrations.apply(on: connection)
                let store = BarStore(connection: connection)
                let id = try await store.symbolID(for: "PART")
                #expect(try await store.symbolID(for: "PART") == id)
                let old = Self.dailyBars(from: (Self.yearStart(2001) + 150 * 86_400) * 1_000_000, count: 20)
                let summary = try await store.write(old, symbolID: id, timeframe: "1d")
                #expect(summary.bars == 20 && summary.rowsWritten == 20)
                #expect(summary.partitionsCreated == 1 && summary.path == .copy)
                let future = Self.dailyBars(from: (Self.yearStart(Self.nextYear) + 40 * 86_400) * 1_000_000, count: 5)
                let later = try await store.write(future, symbolID: id, timeframe: "1d")
                #expect(later.partitionsCreated == 1 && later.rowsWritten == 5)
                let partitions = try await connection.query(
                    """
                    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                    WHERE i.inhparent = 'bars'::regclass ORDER BY 1
                    """)
                #expect(
                    (0..<partitions.rowCount).map { partitions.string($0, 0) } == [
                        "bars_2001", "bars_\(Self.nextYear)",
                    ])
                // Rows land in the partition of their year and read back bit for bit.
                let in2001 = try await connection.query("SELECT count(*) FROM bars_2001")
                #expect(try in2001.int(0, 0) == 20)
                #expect(try await store.read(symbolID: id, timeframe: "1d", last: old.timestamps.last!) == old)
                // A range spanning three years creates the one in between.
                let span = Self.dailyBars(from: (Self.yearStart(2001) + 364 * 86_400) * 1_000_000, count: 400)
                let spanned = try await store.write(span, symbolID: id, timeframe: "1d")
                #expect(spanned.partitionsCreated == 2)  // 2002 and 2003
            }
        }
    }

    @Test func rewritingUnchangedBarsWritesZeroRows() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { connection in
                try await SchemaMigrations.apply(on: connection)
                let store = BarStore(connection: connection)
                let id = try await store.symbolID(for: "SAME")
                let start = (Self.yearStart(2024) + 10 * 86_400) * 1_000_000
                let bars = Self.dailyBars(from: start, count: 300)
                #expect(try await store.write(bars, symbolID: id, timeframe: "1d").rowsWritten == 300)
                let again = try await store.write(bars, symbolID: id, timeframe: "1d")
                #expect(again.bars == 300 && again.rowsWritten == 0)
                #expect(again.partitionsCreated == 0 && again.path == .stagedUpsert)
                // Other timeframes and symbols are separate keys.
                #expect(try await store.write(bars, symbolID: id, timeframe: "1h").path == .copy)
                // One changed close and ten new days: eleven rows written.
                var changed = Self.dailyBars(from: start, count: 310)
                changed.close[5] += 0.01
                let update = try await store.write(changed, symbolID: id, timeframe: "1d")
                #expect(update.rowsWritten == 11 && update.path == .stagedUpsert)
                #expect(try await store.read(symbolID: id, timeframe: "1d") == changed)
                let xmin = try await connection.query(
                    "SELECT count(DISTINCT xmin::text) FROM bars WHERE symbol_id = $1 AND timeframe = '1d'",
                    [.int32(id)])
                #expect(try xmin.int(0, 0) == 2)  // the first load and the update: unchanged rows were not rewritten
            }
        }
    }

    @Test func concurrentWritersCreatePartitionsWithoutRacing() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { try await SchemaMigrations.apply(on: $0) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<3 {
                    group.addTask {
                        try await TestDatabase.withConnection(to: configuration) { connection in
                            let store = BarStore(connection: connection)
                            let id = try await store.symbolID(for: "RACE\(writer)")
                            let bars = Self.dailyBars(from: Self.yearStart(2005) * 1_000_000, count: 3000)
                            #expect(try await store.write(bars, symbolID: id, timeframe: "1d").rowsWritten == 3000)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func theLedgerRecordsABatchInTheSameTransactionAsItsBars() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { connection in
                try await SchemaMigrations.apply(on: connection)
                let store = BarStore(connection: connection)
                let id = try await store.symbolID(for: "LEDG")
                let bars = Self.dailyBars(from: Self.yearStart(2010) * 1_000_000, count: 50)
                struct Crash: Error {}
                // A crash between COPY and COMMIT (the failpoint) leaves neither bars nor a ledger row.
                await #expect(throws: Crash.self) {
                    try await store.write(bars, symbolID: id, timeframe: "1d", source: "test") { throw Crash() }
                }
                let counts = try await connection.query(
                    "SELECT (SELECT count(*) FROM bars), (SELECT count(*) FROM ingestion_batches)")
                #expect(try counts.int(0, 0) == 0 && counts.int(0, 1) == 0)
                #expect(try await store.lastBatch(source: "test", symbolID: id, timeframe: "1d") == nil)
                // Replaying the batch stores it once.
                let stored = try await store.write(bars, symbolID: id, timeframe: "1d", source: "test")
                #expect(stored.rowsWritten == 50 && stored.path == .copy)
                let replay = try await store.write(bars, symbolID: id, timeframe: "1d", source: "test")
                #expect(replay.rowsWritten == 0 && replay.path == .stagedUpsert)
                let last = try #require(try await store.lastBatch(source: "test", symbolID: id, timeframe: "1d"))
                #expect(last.id == replay.batchID && last.barCount == 50 && last.rowsWritten == 0)
                #expect(last.first == bars.timestamps[0] && last.last == bars.timestamps[49])
                let checksums = try await connection.query("SELECT count(DISTINCT checksum) FROM ingestion_batches")
                #expect(try checksums.int(0, 0) == 1)  // the same bars, the same checksum
                #expect(try await connection.query("SELECT count(*) FROM bars").int(0, 0) == 50)
            }
        }
    }

    @Test func partitionsAreKeptAheadAndDroppedPastRetention() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { connection in
                try await SchemaMigrations.apply(on: connection)
                let store = BarStore(connection: connection)
                let id = try await store.symbolID(for: "KEEP")
                for year in [2001, 2002, 2003] {
                    _ = try await store.write(
                        Self.dailyBars(from: (Self.yearStart(year) + 86_400) * 1_000_000, count: 3), symbolID: id,
                        timeframe: "1d")
                    // Three minutes mid-session on the same day, so the year has rollups too.
                    let minute = (Self.yearStart(year) + 86_400 + 15 * 3600) * 1_000_000
                    let times = (0..<3).map { minute + Int64($0) * 60_000_000 }
                    _ = try await store.write(
                        StoredBars(
                            timestamps: times, open: [1, 2, 3], high: [1, 2, 3], low: [1, 2, 3], close: [1, 2, 3],
                            volume: [1, 1, 1]), symbolID: id, timeframe: "1m")
                }
                let rollups = "SELECT count(*) FROM bar_rollups WHERE ts < '2002-01-01'"
                #expect(try await connection.query(rollups).int(0, 0) == 3)  // its 5m, 1h and 1d
                // "Now" is 2004-06-01: 2004 and 2005 are created ahead.
                let now = (Self.yearStart(2004) + 152 * 86_400) * 1_000_000
                let ahead = try await store.maintainPartitions(yearsAhead: 1, now: now)
                #expect(ahead == PartitionUpkeep(created: 2, dropped: []))
                #expect(try await store.maintainPartitions(yearsAhead: 1, now: now).created == 0)
                // Keep two years: everything of 2001 ended before 2002-06-01 and goes; 2002 ends 2003-01-01, after.
                let upkeep = try await store.maintainPartitions(
                    yearsAhead: 1, retention: .seconds(2 * 365 * 86_400), now: now)
                #expect(upkeep.dropped == ["bars_2001"])
                let left = try await connection.query(
                    """
                    SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i
                    JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'bars'::regclass
                    """)
                #expect(left.string(0, 0) == "bars_2002,bars_2003,bars_2004,bars_2005")
                #expect(try await connection.query("SELECT count(*) FROM bars WHERE timeframe = '1d'").int(0, 0) == 6)
                // The rollups of 2001 went with its minutes; those of 2002 and 2003 stay.
                #expect(try await connection.query(rollups).int(0, 0) == 0)
                #expect(try await connection.query("SELECT count(*) FROM bar_rollups").int(0, 0) == 6)
            }
        }
    }
}
