import PulseAnalytics
import PulseIO
import PulseStore
import Testing

/// SQL grouping (`BarStore.readGrouped`) against PulseAnalytics' `Resampler` over the same bars: identical bars at
/// every timeframe across the 2024 spring DST change, a month end and the 2024-11-29 half day.
@Suite("BarStore: bars grouped in SQL equal Resampler's", requiresPostgres)
struct GroupedBarsTests {
    /// 1-minute bars 04:00–20:00 New York time on the weekdays of two stretches (13:00 close on the half day), with
    /// a hole every 37th minute and prices from a deterministic walk.
    static func minutes() -> PulseStore.StoredBars {
        var times: [Int64] = []
        var open: [Double] = []
        var high: [Double] = []
        var low: [Double] = []
        var close: [Double] = []
        var volume: [Double] = []
        var price = 100.0
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let stretches = [
            (TimestampParser.daysFromCivil(year: 2024, month: 2, day: 26), 44),
            (TimestampParser.daysFromCivil(year: 2024, month: 11, day: 25), 10),
        ]
        let halfDay = TimestampParser.daysFromCivil(year: 2024, month: 11, day: 29)
        var k = 0
        for (first, days) in stretches {
            for day in first..<(first + Int64(days)) where (day + 4) % 7 != 0 && (day + 4) % 7 != 6 {
                let fourAM = EasternTime.instant(ofWallClock: day * 86_400 + 4 * 3600)
                for minute in 0..<(day == halfDay ? 540 : 960) {
                    k += 1
                    if k % 37 == 0 { continue }
                    let o = price
                    price *= 1 + (next() - 0.5) * 0.002
                    times.append((fourAM + Int64(minute) * 60) * 1_000_000)
                    open.append(o)
                    close.append(price)
                    high.append(max(o, price) * (1 + next() * 0.001))
                    low.append(min(o, price) * (1 - next() * 0.001))
                    volume.append(Double(100 + Int(next() * 10_000)))
                }
            }
        }
        return PulseStore.StoredBars(
            timestamps: times, open: open, high: high, low: low, close: close, volume: volume)
    }

    static func analytics(_ bars: PulseStore.StoredBars) -> BarSeries {
        BarSeries(
            labels: bars.timestamps.map { String($0) }, timestamps: bars.timestamps.map { $0 / 1_000_000 },
            open: bars.open, high: bars.high, low: bars.low, close: bars.close, volume: bars.volume)
    }

    static func grouping(_ timeframe: Timeframe) -> BarGrouping {
        switch timeframe.unit {
        case .minute: return BarGrouping(.minute, timeframe.count)
        case .hour: return BarGrouping(.hour, timeframe.count)
        case .day: return BarGrouping(.day)
        case .week: return BarGrouping(.week)
        case .month: return BarGrouping(.month)
        }
    }

    static func expectSame(_ sql: PulseStore.StoredBars, _ swift: BarSeries, _ name: String) {
        #expect(sql.timestamps.map { $0 / 1_000_000 } == swift.timestamps, "\(name): times")
        #expect(sql.open == swift.open, "\(name): open")
        #expect(sql.high == swift.high, "\(name): high")
        #expect(sql.low == swift.low, "\(name): low")
        #expect(sql.close == swift.close, "\(name): close")
        #expect(sql.volume == swift.volume, "\(name): volume")
    }

    @Test func everyTimeframeFromMinutesAndFromDailyBars() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { connection in
                _ = try await SchemaMigrations.apply(on: connection)
                let store = BarStore(connection: connection)
                let id = try await store.symbolID(for: "GRP")
                let minutes = Self.minutes()
                _ = try await store.write(minutes, symbolID: id, timeframe: "1m")
                for text in ["5m", "15m", "30m", "1h", "2h", "4h", "1d", "1w", "1mo"] {
                    let timeframe = try Timeframe(text)
                    let sql = try await store.readGrouped(
                        symbolID: id, sourceTimeframe: "1m", sourceIsDaily: false, grouping: Self.grouping(timeframe),
                        start: nil, end: nil, limit: nil)
                    let swift = try Resampler.resample(Self.analytics(minutes), to: timeframe, times: .instants)
                    #expect(sql.count > 0)
                    Self.expectSame(sql, swift, text)
                }
                // Daily bars stamped at midnight UTC group by their dates.
                let daily = try await store.readGrouped(
                    symbolID: id, sourceTimeframe: "1m", sourceIsDaily: false, grouping: BarGrouping(.day),
                    start: nil, end: nil, limit: nil)
                _ = try await store.write(daily, symbolID: id, timeframe: "1d")
                for text in ["1w", "1mo"] {
                    let timeframe = try Timeframe(text)
                    let sql = try await store.readGrouped(
                        symbolID: id, sourceTimeframe: "1d", sourceIsDaily: true, grouping: Self.grouping(timeframe),
                        start: nil, end: nil, limit: nil)
                    let swift = try Resampler.resample(Self.analytics(daily), to: timeframe, times: .dates)
                    Self.expectSame(sql, swift, "daily to \(text)")
                }
                // The last 5 hourly bars, and a range that starts inside an hour (that hour is left out).
                let hourly = try Resampler.resample(Self.analytics(minutes), to: .oneHour, times: .instants)
                let last = try await store.readGrouped(
                    symbolID: id, sourceTimeframe: "1m", sourceIsDaily: false, grouping: BarGrouping(.hour),
                    start: nil, end: nil, limit: 5, fromEnd: true)
                #expect(last.timestamps.map { $0 / 1_000_000 } == Array(hourly.timestamps!.suffix(5)))
                let inside = hourly.timestamps![10] * 1_000_000 + 60_000_000
                let ranged = try await store.readGrouped(
                    symbolID: id, sourceTimeframe: "1m", sourceIsDaily: false, grouping: BarGrouping(.hour),
                    start: inside, end: hourly.timestamps![20] * 1_000_000, limit: nil)
                #expect(ranged.timestamps.map { $0 / 1_000_000 } == Array(hourly.timestamps![11..<20]))
            }
        }
    }

    @Test func adjustmentStepsMultiplyEachSessionBeforeItsExDate() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { connection in
                _ = try await SchemaMigrations.apply(on: connection)
                let store = BarStore(connection: connection)
                let id = try await store.symbolID(for: "ADJ")
                let day: Int64 = 86_400_000_000
                let start = TimestampParser.daysFromCivil(year: 2024, month: 3, day: 4) * day
                let bars = PulseStore.StoredBars(
                    timestamps: (0..<6).map { start + Int64($0) * day }, open: [10, 11, 12, 13, 14, 15],
                    high: [10, 11, 12, 13, 14, 15], low: [10, 11, 12, 13, 14, 15], close: [10, 11, 12, 13, 14, 15],
                    volume: [100, 100, 100, 100, 100, 100])
                _ = try await store.write(bars, symbolID: id, timeframe: "1d")
                // Sessions before 2024-03-06 × 0.25 (prices) and × 4 (volume); before 2024-03-08 × 0.5 and × 2.
                let steps = AdjustmentSteps(
                    exDates: ["2024-03-06", "2024-03-08"], priceFactors: [0.25, 0.5], volumeFactors: [4, 2])
                let read = try await store.readGrouped(
                    symbolID: id, sourceTimeframe: "1d", sourceIsDaily: true, grouping: nil, start: nil, end: nil,
                    limit: nil, adjustment: steps)
                #expect(read.close == [2.5, 2.75, 6, 6.5, 14, 15])
                #expect(read.volume == [400, 400, 200, 200, 100, 100])
                try await store.recordCorporateAction(
                    symbolID: id, CorporateAction(exDate: "2024-03-07", kind: .dividend, value: 0.6))
                let actions = try await store.corporateActions(symbolID: id, sourceTimeframe: "1d", sourceIsDaily: true)
                #expect(
                    actions == [CorporateAction(exDate: "2024-03-07", kind: .dividend, value: 0.6, previousClose: 12)])
            }
        }
    }
}
