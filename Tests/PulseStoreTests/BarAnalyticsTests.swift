import Foundation
import PulseAnalytics
import PulseStore
import Testing

/// `BarAnalytics` against real PostgreSQL, each statistic over a few bars whose answers are worked out by hand
/// here (the pandas comparison over a long series is `Tests/interop/test_bar_analytics.py`).
@Suite("BarAnalytics: analytical SQL over stored bars", requiresPostgres)
struct BarAnalyticsTests {
    static let day: Int64 = 86_400_000_000
    static let minute: Int64 = 60_000_000
    /// 2024-03-04 00:00 UTC, a Monday.
    static let monday = TimestampParser.daysFromCivil(year: 2024, month: 3, day: 4) * day

    /// Daily bars at `closes` from `monday`, one a day, high and low 1 either side, volume 100.
    static func daily(_ closes: [Double]) -> PulseStore.StoredBars {
        PulseStore.StoredBars(
            timestamps: closes.indices.map { monday + Int64($0) * day }, open: closes, high: closes.map { $0 + 1 },
            low: closes.map { $0 - 1 }, close: closes, volume: closes.map { _ in 100 })
    }

    private func withStored(
        _ bars: [(String, PulseStore.StoredBars)], symbol: String = "ANL",
        _ body: @escaping @Sendable (BarAnalytics) async throws -> Void
    ) async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { connection in
                _ = try await SchemaMigrations.apply(on: connection)
                let store = BarStore(connection: connection)
                let id = try await store.symbolID(for: symbol)
                for (timeframe, series) in bars {
                    _ = try await store.write(series, symbolID: id, timeframe: timeframe)
                }
                try await body(BarAnalytics(connection: connection))
            }
        }
    }

    @Test func returnsOverAWindowLookBackBeforeTheStart() async throws {
        try await withStored([("1d", Self.daily([10, 11, 12, 9, 12, 15]))]) { analytics in
            let all = try await analytics.returns("ANL", timeframe: "1d", window: 2)
            #expect(all.map(\.time) == (2..<6).map { Self.monday + Int64($0) * Self.day })
            let expected: [Double] = [12.0 / 10 - 1, 9.0 / 11 - 1, 12.0 / 12 - 1, 15.0 / 9 - 1]
            let values = all.map(\.value)
            #expect(values.count == 4 && zip(values, expected).allSatisfy { abs($0 - $1) < 1e-15 })
            // From the fourth bar on: its value still reaches back two bars, before the start.
            let later = try await analytics.returns(
                "ANL", timeframe: "1d", window: 2, start: Self.monday + 3 * Self.day, end: Self.monday + 5 * Self.day)
            #expect(later == Array(all[1..<3]))
        }
    }

    @Test func rollingVolatilityIsTheSampleDeviationOfLogReturns() async throws {
        let closes: [Double] = [10, 11, 12, 9, 12, 15]
        try await withStored([("1d", Self.daily(closes))]) { analytics in
            let points = try await analytics.rollingVolatility(
                "ANL", timeframe: "1d", window: 3, periodsPerYear: 252, start: Self.monday + 4 * Self.day)
            #expect(points.map(\.time) == [4, 5].map { Self.monday + Int64($0) * Self.day })
            for (point, last) in zip(points, [4, 5]) {
                let returns = (last - 2...last).map { log(closes[$0] / closes[$0 - 1]) }
                let mean = returns.reduce(0, +) / 3
                let variance = returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2
                #expect(abs(point.value - (variance * 252).squareRoot()) < 1e-12)
            }
            // Three returns need four closes: the third bar is the first with a value.
            let all = try await analytics.rollingVolatility("ANL", timeframe: "1d", window: 3)
            #expect(all.first?.time == Self.monday + 3 * Self.day)
        }
    }

    @Test func sessionVWAPRestartsEachEasternDay() async throws {
        // 2024-03-05 20:58, 20:59 UTC (15:58, 15:59 New York), then 2024-03-06 14:30, 14:31 UTC.
        let tuesday = Self.monday + Self.day
        let times = [
            tuesday + 20 * 60 * Self.minute + 58 * Self.minute, tuesday + 20 * 60 * Self.minute + 59 * Self.minute,
            tuesday + Self.day + (14 * 60 + 30) * Self.minute, tuesday + Self.day + (14 * 60 + 31) * Self.minute,
        ]
        let bars = PulseStore.StoredBars(
            timestamps: times, open: [10, 11, 20, 21], high: [12, 13, 22, 23], low: [9, 10, 19, 20],
            close: [11, 12, 21, 22], volume: [100, 300, 0, 50])
        try await withStored([("1m", bars)]) { analytics in
            let points = try await analytics.vwap("ANL", timeframe: "1m")
            let typical: [Double] = [32.0 / 3, 35.0 / 3, 62.0 / 3, 65.0 / 3]
            #expect(points.map(\.time) == times)
            #expect(abs(points[0].value - typical[0]) < 1e-12)
            #expect(abs(points[1].value - (typical[0] * 100 + typical[1] * 300) / 400) < 1e-12)
            #expect(points[2].value.isNaN)  // the new day has no volume yet
            #expect(abs(points[3].value - typical[3]) < 1e-12)
            // Starting at the day's second bar still sums its first.
            let later = try await analytics.vwap("ANL", timeframe: "1m", start: times[1])
            #expect(later.first == points[1])
        }
    }

    @Test func drawdownFromTheRunningPeak() async throws {
        try await withStored([("1d", Self.daily([10, 12, 9, 12, 6, 13]))]) { analytics in
            let series = try await analytics.drawdown("ANL", timeframe: "1d")
            let expected: [Double] = [0, 0, 9.0 / 12 - 1, 0, 6.0 / 12 - 1, 0]
            #expect(series.points.map(\.drawdown) == expected)
            #expect(series.points.map(\.peak) == [10, 12, 12, 12, 12, 13])
            let deepest = try #require(series.maximum)
            #expect(deepest.time == Self.monday + 4 * Self.day)
            #expect(deepest.peakTime == Self.monday + 3 * Self.day)  // the latest close at the peak
            // The range's own peak: from the third bar, 9 is the first high.
            let later = try await analytics.drawdown("ANL", timeframe: "1d", start: Self.monday + 2 * Self.day)
            let expectedLater: [Double] = [0, 0, 6.0 / 12 - 1, 0]
            #expect(later.points.map(\.drawdown) == expectedLater)
        }
    }

    @Test func holesAreRunsOfMissingMinutesAndEmptySessions() async throws {
        // Tuesday 2024-03-05, 09:30–16:00 New York = 14:30–21:00 UTC; Wednesday has no minute stored.
        let open = (Self.monday + Self.day) / 1_000_000 + (14 * 60 + 30) * 60
        let missing = Set([30, 31, 32, 33, 34, 389])  // 10:00–10:04 and 15:59
        let kept = (0..<390).filter { !missing.contains($0) }
        let times = kept.map { (open + Int64($0) * 60) * 1_000_000 }
        let prices = kept.map { 100 + Double($0) / 100 }
        let bars = PulseStore.StoredBars(
            timestamps: times, open: prices, high: prices, low: prices, close: prices,
            volume: prices.map { _ in 10 })
        try await withStored([("1m", bars)]) { analytics in
            let sessions = [
                (open: open, close: open + 390 * 60), (open: open + 86_400, close: open + 86_400 + 390 * 60),
            ]
            let holes = try await analytics.holes("ANL", sessions: sessions)
            let at = { (minute: Int64) in (open + minute * 60) * 1_000_000 }
            #expect(
                holes == [
                    DataHole(session: at(0), first: at(30), last: at(34), minutes: 5, wholeSession: false),
                    DataHole(session: at(0), first: at(389), last: at(389), minutes: 1, wholeSession: false),
                    DataHole(
                        session: at(1440), first: at(1440), last: at(1440 + 389), minutes: 390, wholeSession: true),
                ])
            let range = try #require(try await analytics.storedRange("ANL", timeframe: "1m"))
            #expect(range.first == times[0] && range.last == times[times.count - 1])
        }
    }

    @Test func badRequestsAreTypedErrors() async throws {
        try await withStored([("1d", Self.daily([10, 11]))]) { analytics in
            await #expect(throws: BarAnalyticsError.unknownSymbol("NOPE")) {
                _ = try await analytics.returns("NOPE", timeframe: "1d", window: 1)
            }
            await #expect(throws: BarAnalyticsError.self) {
                _ = try await analytics.returns("ANL", timeframe: "1d", window: 0)
            }
            await #expect(throws: BarAnalyticsError.self) {
                _ = try await analytics.rollingVolatility("ANL", timeframe: "1d", window: 1)
            }
            await #expect(throws: BarAnalyticsError.self) {
                _ = try await analytics.holes("ANL", sessions: [(open: 120, close: 60)])
            }
            // A symbol without bars of a timeframe is no error: nothing to measure.
            let none = try await analytics.returns("ANL", timeframe: "1m", window: 1)
            #expect(none.isEmpty)
            let noRange = try await analytics.storedRange("ANL", timeframe: "1m")
            #expect(noRange == nil)
        }
    }
}
