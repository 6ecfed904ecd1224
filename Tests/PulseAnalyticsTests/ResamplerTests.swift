import Testing

@testable import PulseAnalytics

@Suite("Resampling")
struct ResamplerTests {
    /// One-minute bars from `start` (UTC), `count` of them, every `step` seconds; prices rise by 1 per bar.
    static func minutes(from start: Int64, count: Int, step: Int64 = 60) -> BarSeries {
        let t = (0..<count).map { start + Int64($0) * step }
        let close = (0..<count).map { Double($0) + 100 }
        return BarSeries(
            labels: t.map(TimestampParser.iso8601), timestamps: t, open: close.map { $0 - 0.5 },
            high: close.map { $0 + 1 }, low: close.map { $0 - 1 }, close: close, volume: close.map { _ in 2 })
    }

    static func days(_ dates: [String]) -> BarSeries {
        let t = dates.map { TimestampParser.parse($0)! }
        let close = dates.indices.map { Double($0) + 1 }
        return BarSeries(
            labels: dates, timestamps: t, open: close, high: close.map { $0 + 1 }, low: close.map { $0 - 1 },
            close: close, volume: close)
    }

    @Test func parsesTimeframes() throws {
        #expect(try Timeframe("5m") == .fiveMinutes)
        #expect(try Timeframe("1h") == .oneHour)
        #expect(try Timeframe("4h") == .fourHours)
        #expect(try Timeframe("1d") == .oneDay)
        #expect(try Timeframe("1w") == .oneWeek)
        #expect(try Timeframe("1mo") == .oneMonth)
        #expect(try Timeframe("15m").description == "15m")
        for bad in ["7m", "5x", "", "2d", "0m", "5h"] {
            #expect(throws: ResampleError.self) { try Timeframe(bad) }
        }
    }

    @Test func aggregatesOpenHighLowCloseVolume() throws {
        // 2024-01-02 14:30 UTC (09:30 EST), 90 one-minute bars → 5m buckets of 5 bars.
        let bars = Self.minutes(from: 1_704_205_800, count: 90)
        let out = try Resampler.resample(bars, to: .fiveMinutes)
        #expect(out.count == 18)
        #expect(out.open[1] == bars.open[5] && out.close[1] == bars.close[9])
        #expect(out.high[1] == bars.high[9] && out.low[1] == bars.low[5])
        #expect(out.volume?[1] == 10)
        #expect(out.labels[0] == "2024-01-02T14:30:00Z" && out.timestamps?[1] == 1_704_206_100)
    }

    @Test func hourBucketsAreClockAlignedWithPartialEnds() throws {
        // 09:30–10:29 EST: a partial 09:00 bucket (30 bars) and a partial 10:00 bucket.
        let out = try Resampler.resample(Self.minutes(from: 1_704_205_800, count: 60), to: .oneHour)
        #expect(out.labels == ["2024-01-02T14:00:00Z", "2024-01-02T15:00:00Z"])
        #expect(out.volume == [60, 60])
    }

    @Test func gapsProduceNoBars() throws {
        // Bars every 25 minutes: hours without bars are skipped, not filled.
        let bars = Self.minutes(from: 1_704_196_800, count: 6, step: 3 * 3600)
        let out = try Resampler.resample(bars, to: .oneHour)
        #expect(out.count == 6)
        #expect(out.timestamps == bars.timestamps)
    }

    @Test func fallBackHoursStaySeparateAndFourHourBucketsFollowTheWallClock() throws {
        // 2024-11-03 04:00–10:00 UTC = 00:00 EDT … 05:00 EST; 01:00 happens twice.
        let bars = Self.minutes(from: 1_730_606_400, count: 360)
        let hourly = try Resampler.resample(bars, to: .oneHour)
        #expect(hourly.count == 6)
        #expect(hourly.volume!.allSatisfy { $0 == 120 })
        let fourHourly = try Resampler.resample(bars, to: .fourHours)
        // 00:00–04:00 local lasts five hours that night; then 04:00–08:00 local starts at 09:00 UTC.
        #expect(fourHourly.labels == ["2024-11-03T04:00:00Z", "2024-11-03T09:00:00Z"])
        #expect(fourHourly.volume == [600, 120])
    }

    @Test func springForwardDayIsOneSessionOf23Hours() throws {
        // Hourly bars from 2024-03-10 05:00 UTC (00:00 EST) for 24 hours: 23 in the March 10 session.
        let bars = Self.minutes(from: 1_710_046_800, count: 24, step: 3600)
        let daily = try Resampler.resample(bars, to: .oneDay)
        #expect(daily.labels == ["2024-03-10", "2024-03-11"])
        #expect(daily.volume == [46, 2])
        #expect(daily.timestamps?[0] == TimestampParser.parse("2024-03-10"))
    }

    @Test func intradayBarsGoToTheirEasternSession() throws {
        // 2024-03-05 03:00 UTC is 22:00 on March 4 in New York.
        let bars = Self.minutes(from: 1_709_607_600, count: 3, step: 3600)
        let daily = try Resampler.resample(bars, to: .oneDay)
        #expect(daily.labels == ["2024-03-04", "2024-03-05"])
        #expect(daily.volume == [4, 2])
    }

    @Test func dailyDatesResampleToMondayWeeksAndCalendarMonths() throws {
        // Fri 2024-01-26 … Tue 2024-02-06, with a Sunday bar on the 28th.
        let dates = [
            "2024-01-26", "2024-01-28", "2024-01-29", "2024-01-31", "2024-02-01", "2024-02-02", "2024-02-05",
            "2024-02-06",
        ]
        let bars = Self.days(dates)
        let weekly = try Resampler.resample(bars, to: .oneWeek)
        #expect(weekly.labels == ["2024-01-22", "2024-01-29", "2024-02-05"])
        #expect(weekly.open == [1, 3, 7] && weekly.close == [2, 6, 8])
        let monthly = try Resampler.resample(bars, to: .oneMonth)
        #expect(monthly.labels == ["2024-01-01", "2024-02-01"])
        #expect(monthly.volume == [1 + 2 + 3 + 4, 5 + 6 + 7 + 8])
        // Read as instants instead, midnight UTC is the previous evening in New York.
        let asInstants = try Resampler.resample(bars, to: .oneDay, times: .instants)
        #expect(asInstants.labels.first == "2024-01-25")
    }

    @Test func weeksSpanTheYearEnd() throws {
        let bars = Self.days(["2024-12-30", "2024-12-31", "2025-01-02", "2025-01-06"])
        let weekly = try Resampler.resample(bars, to: .oneWeek)
        #expect(weekly.labels == ["2024-12-30", "2025-01-06"])
        #expect(try Resampler.resample(bars, to: .oneMonth).labels == ["2024-12-01", "2025-01-01"])
    }

    @Test(arguments: [Timeframe.oneMinute, .fourHours, .oneDay, .oneWeek, .oneMonth])
    func absurdTimesDoNotCrash(_ timeframe: Timeframe) throws {
        let t: [Int64] = [.min, .min + 1, -1, 0, 1, .max - 1, .max]
        let prices = t.map { _ in 1.0 }
        let bars = BarSeries(
            labels: t.map(String.init), timestamps: t, open: prices, high: prices, low: prices, close: prices,
            volume: prices)
        let out = try Resampler.resample(bars, to: timeframe, times: .instants)
        #expect(out.count >= 1 && out.count <= t.count)
        #expect(out.volume!.reduce(0, +) == Double(t.count))
        _ = try Resampler.completedIndex(bars, higher: timeframe)
    }

    @Test func seriesWithoutTimesIsRejected() {
        let bars = BarSeries(labels: ["a"], timestamps: nil, open: [1], high: [1], low: [1], close: [1], volume: nil)
        #expect(throws: ResampleError.self) { try Resampler.resample(bars, to: .oneDay) }
    }

    @Test(arguments: [Timeframe.fiveMinutes, .oneHour, .fourHours, .oneDay, .oneWeek, .oneMonth])
    func streamingResamplerMatchesBatch(_ timeframe: Timeframe) throws {
        // Every 7 minutes for 40 days across the November DST change.
        let bars = Self.minutes(from: 1_729_000_000, count: 8_000, step: 420)
        let batch = try Resampler.resample(bars, to: timeframe)
        var stream = StreamingResampler(to: timeframe)
        var emitted: [BarInput] = []
        for i in 0..<bars.count {
            let bar = BarInput(
                open: bars.open[i], high: bars.high[i], low: bars.low[i], close: bars.close[i],
                volume: bars.volume![i], timestamp: bars.timestamps![i])
            if let done = stream.add(bar) { emitted.append(done) }
        }
        if let last = stream.flush() { emitted.append(last) }
        #expect(emitted.count == batch.count)
        for (k, bar) in emitted.enumerated() where k < batch.count {
            #expect(bar.timestamp == batch.timestamps![k])
            #expect(bar.open == batch.open[k] && bar.high == batch.high[k] && bar.low == batch.low[k])
            #expect(bar.close == batch.close[k] && bar.volume == batch.volume![k])
        }
    }

    @Test func streamingResamplerClosesOnTime() {
        var stream = StreamingResampler(to: .oneHour)
        #expect(stream.add(BarInput(open: 1, high: 2, low: 0, close: 1, volume: 5, timestamp: 1_704_207_540)) == nil)
        #expect(stream.close(at: 1_704_207_599) == nil)
        let done = stream.close(at: 1_704_207_600)
        #expect(done?.timestamp == 1_704_204_000 && done?.volume == 5)
        #expect(stream.flush() == nil)
    }
}

@Suite("Multi-timeframe alignment without look-ahead")
struct CompletedIndexTests {
    @Test func hourBecomesVisibleAtItsLastMinute() throws {
        // 14:00–16:59 UTC one-minute bars: three hours.
        let bars = ResamplerTests.minutes(from: 1_704_204_000, count: 180)
        let index = try Resampler.completedIndex(bars, higher: .oneHour)
        #expect(index[0] == -1 && index[58] == -1)
        #expect(index[59] == 0 && index[60] == 0 && index[119] == 1 && index[179] == 2)
    }

    @Test func sessionIsVisibleFromTheNextSession() throws {
        let bars = ResamplerTests.days(["2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"])
        let weekly = try Resampler.completedIndex(bars, higher: .oneWeek)
        // Friday's bar cannot know no Saturday bar follows; the week shows from Monday.
        #expect(weekly == [-1, -1, 0, 0])
        let daily = try Resampler.completedIndex(bars, higher: .oneDay)
        #expect(daily == [0, 1, 2, 3])
    }

    @Test func noLookAhead() throws {
        let bars = ResamplerTests.minutes(from: 1_730_590_000, count: 3_000, step: 300)
        for timeframe in [Timeframe.oneHour, .fourHours, .oneDay, .oneWeek] {
            let full = try Resampler.completedIndex(bars, higher: timeframe, baseInterval: 300)
            let resampled = try Resampler.resample(bars, to: timeframe)
            for cut in stride(from: 1, to: bars.count, by: 97) {
                var prefix = bars
                prefix.labels = Array(bars.labels[..<cut])
                prefix.timestamps = Array(bars.timestamps![..<cut])
                prefix.open = Array(bars.open[..<cut])
                prefix.high = Array(bars.high[..<cut])
                prefix.low = Array(bars.low[..<cut])
                prefix.close = Array(bars.close[..<cut])
                prefix.volume = Array(bars.volume![..<cut])
                let partial = try Resampler.completedIndex(prefix, higher: timeframe, baseInterval: 300)
                #expect(partial == Array(full[..<cut]), "\(timeframe) cut \(cut)")
                // What is visible at the cut was built from bars up to the cut only.
                let k = full[cut - 1]
                if k >= 0 {
                    let fromPrefix = try Resampler.resample(prefix, to: timeframe)
                    #expect(fromPrefix.close[k] == resampled.close[k] && fromPrefix.volume![k] == resampled.volume![k])
                }
            }
        }
    }
}
