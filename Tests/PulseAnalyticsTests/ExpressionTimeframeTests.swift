import Testing

@testable import PulseAnalytics

/// Higher-timeframe references: computed on resampled bars, seen by each base bar only once completed.
@Suite struct ExpressionTimeframeTests {
    /// Three New York sessions (2024-01-02…04, EST = UTC−5) of seven hourly bars from 09:30 to 15:30.
    static let sessionStarts: [Int64] = [1_704_205_800, 1_704_292_200, 1_704_378_600]
    static let hourly: BarSeries = {
        let timestamps = sessionStarts.flatMap { start in (0..<7).map { start + Int64($0) * 3600 } }
        let closes = timestamps.indices.map { Double(100 + $0) + Double($0 % 3) / 2 }
        return BarSeries(
            labels: timestamps.map { "\($0)" }, timestamps: timestamps, open: closes,
            high: closes.map { $0 + 1 }, low: closes.map { $0 - 1 }, close: closes, volume: nil)
    }()

    /// Index of the session each hourly bar belongs to.
    static func session(of bar: Int) -> Int { bar / 7 }
    /// The close of a session: the close of its last hourly bar.
    static func sessionClose(_ session: Int) -> Double { hourly.close[session * 7 + 6] }

    @Test func dailyCloseChangesOnlyAfterTheDayCloses() throws {
        let values = try ExpressionFixture.values("close@1d", on: Self.hourly)
        for bar in values.indices {
            let session = Self.session(of: bar)
            if session == 0 {
                #expect(values[bar].isNaN, "bar \(bar) sees a day that has not closed")
            } else {
                #expect(values[bar] == Self.sessionClose(session - 1), "bar \(bar)")
            }
        }
    }

    @Test func indicatorsRunOnTheHigherTimeframe() throws {
        let daily = [0, 1, 2].map(Self.sessionClose)
        let values = try ExpressionFixture.values("sma(close@1d, 2)", on: Self.hourly)
        // Daily SMA(2) is defined from day 1 and first visible on day 2.
        for bar in values.indices {
            if Self.session(of: bar) < 2 {
                #expect(values[bar].isNaN)
            } else {
                #expect(values[bar] == (daily[0] + daily[1]) / 2)
            }
        }
        #expect(sameSeries(try ExpressionFixture.values("sma(close, 2)@1d", on: Self.hourly), values))
        // On day 2 the last completed daily bar is day 1: the highest daily high of days 0 and 1.
        let highs = try ExpressionFixture.values("highest(high, 2)@1d", on: Self.hourly)
        #expect(highs.suffix(7).allSatisfy { $0 == Self.hourly.high[0..<14].max()! })
        #expect(highs.prefix(14).allSatisfy { $0.isNaN })
    }

    @Test func weeklyBarsFromDailyDataAppearTheFollowingWeek() throws {
        // Mon 2024-01-01 … Fri 2024-01-19, weekdays only, stamped at midnight UTC.
        // 1970-01-01 was a Thursday, so day number d is a weekday when (d + 3) % 7 < 5.
        let all: [Int64] = (0..<19).map { (offset: Int) -> Int64 in 1_704_067_200 + Int64(offset) * 86_400 }
        let days = all.filter { (time: Int64) -> Bool in (time / 86_400 + 3) % 7 < 5 }
        let closes = days.indices.map { Double(10 + $0) }
        let bars = BarSeries(
            labels: days.map { "\($0)" }, timestamps: days, open: closes, high: closes, low: closes, close: closes,
            volume: nil)
        let values = try ExpressionFixture.values("close@1w", on: bars)
        #expect(values.count == 15)
        #expect(values[0..<5].allSatisfy { $0.isNaN })
        #expect(values[5..<10].allSatisfy { $0 == closes[4] })
        #expect(values[10..<15].allSatisfy { $0 == closes[9] })
        // A daily bar completes its own day.
        #expect(try ExpressionFixture.values("close@1d", on: bars) == closes)
    }

    @Test func mixedTimeframesAreCarriedToTheBaseBars() throws {
        let strategy = try Strategy.compile(entry: "close > close@1d and close@1d > sma(close@1d, 2)")
        let signals = try strategy.signals(on: Self.hourly)
        let close = Self.hourly.close
        let expected = close.indices.map { bar -> Bool in
            Self.session(of: bar) == 2 && close[bar] > Self.sessionClose(1)
                && Self.sessionClose(1) > (Self.sessionClose(0) + Self.sessionClose(1)) / 2
        }
        #expect(signals.longEntry == expected)
        // Steps on one timeframe stay there; only the comparison's result is carried down.
        let carried = strategy.program.instructions.filter { $0.operation == .toBase }
        #expect(carried.count == 2)
    }

    @Test func timeframeSignalsUseOnlyPastBars() throws {
        let strategy = try Strategy.compile(entry: "close > sma(close@1d, 2) or crossover(close, close@1d)")
        let full = try strategy.signals(on: Self.hourly).longEntry
        for end in 1...Self.hourly.count {
            let bars = Self.hourly
            let prefix = BarSeries(
                labels: Array(bars.labels[..<end]), timestamps: bars.timestamps.map { Array($0[..<end]) },
                open: Array(bars.open[..<end]), high: Array(bars.high[..<end]), low: Array(bars.low[..<end]),
                close: Array(bars.close[..<end]), volume: nil)
            #expect(try strategy.signals(on: prefix).longEntry == Array(full[..<end]), "bars 0..<\(end)")
        }
        #expect(full.contains(true))
    }

    @Test func timeframeErrors() throws {
        let unknown = try #require(ExpressionFixture.compileError("close > close@2d"))
        #expect(unknown.code == .timeframe)
        #expect(unknown.column == 14)
        #expect(unknown.message.contains("not supported"))
        let misspelt = try #require(ExpressionFixture.compileError("close > close@1y"))
        #expect(misspelt.code == .timeframe && misspelt.message.contains("1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w, 1mo"))
        let nested = try #require(ExpressionFixture.compileError("(sma(close@1d, 3))@1w > 1"))
        #expect(nested.code == .timeframe)
        let noTimes = BarSeries(
            labels: ["a", "b"], timestamps: nil, open: [1, 2], high: [1, 2], low: [1, 2], close: [1, 2], volume: nil)
        #expect {
            try Strategy.compile(entry: "close > close@1d").signals(on: noTimes)
        } throws: { error in
            (error as? ExpressionError)?.code == .data
        }
    }
}
