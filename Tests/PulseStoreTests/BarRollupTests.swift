import PulseAnalytics
import PulseIO
import PulseStore
import Testing

/// The 5m, 1h and 1d rollups (`bar_rollups`, kept by `pulse_refresh_rollups` from the 1-minute bars) against
/// PulseAnalytics' `Resampler` over the same minutes: after minutes written out of order, late and revised minutes,
/// minutes written by plain SQL and refreshed from two sessions at once; every timeframe built on a rollup too.
@Suite("BarStore: rollups equal resampled minutes", requiresPostgres)
struct BarRollupTests {
    /// Each timeframe and the rollup it is read from: itself, or grouped further.
    static let reads: [(String, String, BarGrouping?, Bool)] = [
        ("5m", "5m", nil, false), ("15m", "5m", BarGrouping(.minute, 15), false),
        ("30m", "5m", BarGrouping(.minute, 30), false), ("1h", "1h", nil, false),
        ("2h", "1h", BarGrouping(.hour, 2), false), ("4h", "1h", BarGrouping(.hour, 4), false),
        ("1d", "1d", nil, true), ("1w", "1d", BarGrouping(.week), true), ("1mo", "1d", BarGrouping(.month), true),
    ]

    static func expectRollupsMatch(_ store: BarStore, _ id: Int32, _ minutes: PulseStore.StoredBars, _ when: String)
        async throws
    {
        let series = GroupedBarsTests.analytics(minutes)
        for (text, source, grouping, daily) in reads {
            var read = BarStore.GroupedRead(
                symbolID: id, sourceTimeframe: source, sourceIsDaily: daily, grouping: grouping, start: nil,
                end: nil, limit: nil)
            read.fromRollups = true
            let rolled = try await store.readGrouped([read])[0]
            let timeframe = try Timeframe(text)
            let expected = try Resampler.resample(series, to: timeframe, times: .instants)
            #expect(rolled.count > 0)
            GroupedBarsTests.expectSame(rolled, expected, "\(when): \(text)")
        }
        let pending = try await store.connection.query("SELECT count(*) FROM bar_rollup_invalidations")
        #expect(try pending.int(0, 0) == 0, "\(when): invalidations left")
    }

    /// `bars` with `index` replaced by `bar` (or inserted in time order).
    static func replacing(_ bars: PulseStore.StoredBars, _ time: Int64, close: Double, high: Double)
        -> PulseStore.StoredBars
    {
        var rows = (0..<bars.count).map {
            (bars.timestamps[$0], bars.open[$0], bars.high[$0], bars.low[$0], bars.close[$0], bars.volume[$0])
        }
        if let index = rows.firstIndex(where: { $0.0 == time }) {
            rows[index].4 = close
            rows[index].2 = max(rows[index].2, high, close)
        } else {
            rows.append((time, close, high, close, close, 7))
            rows.sort { $0.0 < $1.0 }
        }
        return PulseStore.StoredBars(
            timestamps: rows.map(\.0), open: rows.map(\.1), high: rows.map(\.2), low: rows.map(\.3),
            close: rows.map(\.4), volume: rows.map(\.5))
    }

    static func slice(_ bars: PulseStore.StoredBars, _ range: Range<Int>) -> PulseStore.StoredBars {
        PulseStore.StoredBars(
            timestamps: Array(bars.timestamps[range]), open: Array(bars.open[range]), high: Array(bars.high[range]),
            low: Array(bars.low[range]), close: Array(bars.close[range]), volume: Array(bars.volume[range]))
    }

    @Test func outOfOrderLateAndRevisedMinutes() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { connection in
                _ = try await SchemaMigrations.apply(on: connection)
                let store = BarStore(connection: connection)
                let id = try await store.symbolID(for: "ROLL")
                var minutes = GroupedBarsTests.minutes()
                let quarter = minutes.count / 4
                let chunks = (0..<4).map {
                    Self.slice(minutes, ($0 * quarter)..<($0 == 3 ? minutes.count : ($0 + 1) * quarter))
                }
                for index in [2, 0, 3, 1] { _ = try await store.write(chunks[index], symbolID: id, timeframe: "1m") }
                try await Self.expectRollupsMatch(store, id, minutes, "out of order")

                // A late minute (one of the holes) with a new high, then a revised close of an existing minute.
                let before = try #require(
                    (0..<(minutes.count - 1)).first {
                        minutes.timestamps[$0 + 1] - minutes.timestamps[$0] == 120_000_000
                    })
                let hole = minutes.timestamps[before] + 60_000_000
                minutes = Self.replacing(minutes, hole, close: 500, high: 510)
                #expect(minutes.timestamps[before + 1] == hole)
                _ = try await store.write(
                    Self.slice(minutes, (before + 1)..<(before + 2)), symbolID: id, timeframe: "1m")
                try await Self.expectRollupsMatch(store, id, minutes, "late minute")
                let revisedTime = minutes.timestamps[5_000]
                minutes = Self.replacing(minutes, revisedTime, close: minutes.close[5_000] * 1.01, high: 0)
                _ = try await store.write(Self.slice(minutes, 5_000..<5_001), symbolID: id, timeframe: "1m")
                try await Self.expectRollupsMatch(store, id, minutes, "revised minute")

                // Writing the same minutes again rewrites nothing, so it notes nothing and refreshes nothing.
                let again = try await store.write(chunks[1], symbolID: id, timeframe: "1m")
                #expect(again.rowsWritten == 0)
                #expect(try await store.refreshRollups() == 0)
            }
        }
    }

    @Test func minutesWrittenBySQLAreNotedAndTwoSessionsRefreshInTurn() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { connection in
                _ = try await SchemaMigrations.apply(on: connection)
                let store = BarStore(connection: connection)
                let id = try await store.symbolID(for: "SQLM")
                let minutes = GroupedBarsTests.minutes()
                // Plain INSERTs, as a script would: the trigger notes the hours, nothing refreshes yet.
                try await connection.query(
                    "SELECT pulse_ensure_bar_partitions(to_timestamp($1::float8 / 1e6), to_timestamp($2::float8 / 1e6))",
                    [.double(Double(minutes.timestamps[0])), .double(Double(minutes.timestamps[minutes.count - 1]))])
                let rows = (0..<minutes.count).map { k in
                    "(\(id), '1m', to_timestamp(\(minutes.timestamps[k]) / 1e6), \(minutes.open[k]), "
                        + "\(minutes.high[k]), \(minutes.low[k]), \(minutes.close[k]), \(minutes.volume[k]))"
                }
                for start in stride(from: 0, to: rows.count, by: 5_000) {
                    try await connection.query(
                        "INSERT INTO bars (symbol_id, timeframe, ts, open, high, low, close, volume) VALUES "
                            + rows[start..<min(start + 5_000, rows.count)].joined(separator: ","))
                }
                let noted = try await connection.query(
                    "SELECT count(DISTINCT hour) FROM bar_rollup_invalidations WHERE symbol_id = $1", [.int32(id)])
                let hours = Set(minutes.timestamps.map { $0 / 3_600_000_000 })
                #expect(try noted.int(0, 0) == Int64(hours.count))

                // Two sessions, each on its own loop, at once: the advisory lock makes them take turns.
                let refreshes = (0..<2).map { _ in
                    Task {
                        try await TestDatabase.withConnection(to: configuration) { session in
                            try await BarStore(connection: session).refreshRollups()
                        }
                    }
                }
                for refresh in refreshes { try await refresh.value }
                try await Self.expectRollupsMatch(store, id, minutes, "after SQL inserts")
            }
        }
    }
}
