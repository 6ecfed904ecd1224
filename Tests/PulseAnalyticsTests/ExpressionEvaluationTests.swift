import Testing

@testable import PulseAnalytics

/// Values over small series, checked against sums done by hand.
@Suite struct ExpressionEvaluationTests {
    let nan = Double.nan
    let bars = ExpressionFixture.bars(
        closes: [1, 2, 3, 4, 5, 4, 3, 2, 3, 4], volume: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])

    @Test func seriesAndArithmetic() throws {
        #expect(try ExpressionFixture.values("close * 2 - 1", on: bars) == [1, 3, 5, 7, 9, 7, 5, 3, 5, 7])
        // high = close + 1, low = close − 1, so hl2 = close and hlc3 = close.
        #expect(try ExpressionFixture.values("hl2 - close", on: bars) == Array(repeating: 0, count: 10))
        #expect(try ExpressionFixture.values("hlc3", on: bars) == bars.close)
        #expect(try ExpressionFixture.values("1 / (close - 1)", on: bars)[0] == .infinity)
        #expect(try ExpressionFixture.values("volume / 10", on: bars) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        #expect(
            try ExpressionFixture.values("fast * 2", on: bars, parameters: ["fast": 4])
                == Array(repeating: 8, count: 10))
    }

    @Test func movingAverageByHand() throws {
        let sma = try ExpressionFixture.values("sma(close, 3)", on: bars)
        let expected = [nan, nan, 2, 3, 4, 13.0 / 3, 4, 3, 8.0 / 3, 3]
        #expect(sameSeries(sma, expected), "\(sma)")
    }

    @Test func shiftAndPrevLookBackOnly() throws {
        #expect(
            sameSeries(try ExpressionFixture.values("shift(close, 2)", on: bars), [nan, nan, 1, 2, 3, 4, 5, 4, 3, 2]))
        #expect(sameSeries(try ExpressionFixture.values("prev(close)", on: bars), [nan, 1, 2, 3, 4, 5, 4, 3, 2, 3]))
        #expect(try ExpressionFixture.values("prev(close > 3)", on: bars) == [0, 0, 0, 0, 1, 1, 1, 0, 0, 0])
        #expect(
            sameSeries(try ExpressionFixture.values("shift(close, 20)", on: bars), Array(repeating: nan, count: 10)))
    }

    @Test func rollingExtremes() throws {
        let highest = try ExpressionFixture.values("highest(close, 3)", on: bars)
        #expect(sameSeries(highest, [nan, nan, 3, 4, 5, 5, 5, 4, 3, 4]))
        let lowest = try ExpressionFixture.values("lowest(close, 3)", on: bars)
        #expect(sameSeries(lowest, [nan, nan, 1, 2, 3, 4, 3, 2, 2, 2]))
        // A NaN inside the window makes the window undefined, as pandas' rolling max does.
        let gappy = try ExpressionFixture.values("highest(sma(close, 2), 2)", on: bars)
        #expect(sameSeries(gappy, [nan, nan, 2.5, 3.5, 4.5, 4.5, 4.5, 3.5, 2.5, 3.5]))
        #expect(sameSeries(try ExpressionFixture.values("highest(close, 1)", on: bars), bars.close))
    }

    @Test func elementwiseHelpers() throws {
        #expect(try ExpressionFixture.values("abs(close - 3)", on: bars) == [2, 1, 0, 1, 2, 1, 0, 1, 0, 1])
        #expect(try ExpressionFixture.values("min(close, 3)", on: bars) == [1, 2, 3, 3, 3, 3, 3, 2, 3, 3])
        #expect(try ExpressionFixture.values("max(close, 3)", on: bars) == [3, 3, 3, 4, 5, 4, 3, 3, 3, 4])
        #expect(
            sameSeries(try ExpressionFixture.values("max(prev(close), 0)", on: bars), [nan, 1, 2, 3, 4, 5, 4, 3, 2, 3]))
    }

    @Test func comparisonsWithNaNAreFalse() throws {
        for op in ["<", "<=", ">", ">=", "==", "!="] {
            let values = try ExpressionFixture.values("sma(close, 3) \(op) 2", on: bars)
            #expect(values[0] == 0 && values[1] == 0, "\(op): \(values)")
        }
        #expect(try ExpressionFixture.values("sma(close, 3) != 2", on: bars) == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1])
        #expect(try ExpressionFixture.values("close == 3", on: bars) == [0, 0, 1, 0, 0, 0, 1, 0, 1, 0])
    }

    @Test func logicalOperators() throws {
        #expect(try ExpressionFixture.values("close > 2 and close < 5", on: bars) == [0, 0, 1, 1, 0, 1, 1, 0, 1, 1])
        #expect(try ExpressionFixture.values("close < 2 or close >= 5", on: bars) == [1, 0, 0, 0, 1, 0, 0, 0, 0, 0])
        #expect(try ExpressionFixture.values("not close > 2", on: bars) == [1, 1, 0, 0, 0, 0, 0, 1, 0, 0])
        #expect(try ExpressionFixture.values("true and not false", on: bars) == Array(repeating: 1, count: 10))
        #expect(
            try ExpressionFixture.values("fast < slow", on: bars, parameters: ["fast": 1, "slow": 2])
                == Array(repeating: 1, count: 10))
    }

    @Test func crossoverIsStrict() throws {
        let closes: [Double] = [1, 3, 2, 2, 3, 1, 2, 2, 1]
        let flat = ExpressionFixture.bars(closes: closes)
        // Crossing 2 from below: 1→3 crosses; 2→2→3 touches first (2 is not < 2), so no crossing at bar 4.
        #expect(try ExpressionFixture.values("crossover(close, 2)", on: flat) == [0, 1, 0, 0, 0, 0, 0, 0, 0])
        // Crossing below: 3→2→2 touches; 3→1 crosses; 2→2→1 touches.
        #expect(try ExpressionFixture.values("crossunder(close, 2)", on: flat) == [0, 0, 0, 0, 0, 1, 0, 0, 0])
        // The same with series on both sides, and NaN never crossing.
        #expect(
            try ExpressionFixture.values("crossover(close, sma(close, 2))", on: flat) == [0, 0, 0, 0, 0, 0, 1, 0, 0])
        #expect(
            try ExpressionFixture.values("crossover(2, close)", on: flat)
                == ExpressionFixture.values("crossunder(close, 2)", on: flat))
    }

    @Test func missingVolumeIsADataError() throws {
        let noVolume = ExpressionFixture.bars(closes: [1, 2, 3])
        #expect {
            try Strategy.compile(entry: "close > 1 and volume > 0").signals(on: noVolume)
        } throws: { error in
            let error = error as? ExpressionError
            return error?.code == .data && error?.column == 15
        }
    }

    @Test func indicatorsNeedingVolumeReportADataError() throws {
        let noVolume = ExpressionFixture.bars(closes: [1, 2, 3])
        #expect {
            try Strategy.compile(entry: "obv() > 0").signals(on: noVolume)
        } throws: { error in
            let error = error as? ExpressionError
            return error?.code == .data && error?.column == 1 && error?.message.contains("volume") == true
        }
    }

    @Test func periodsFromParametersAreCheckedAtEvaluation() throws {
        let strategy = try Strategy.compile(entry: "close > sma(close, n)", parameters: ["n": 3])
        for bad in [0.0, 2.5, -3, .nan, 1e12] {
            #expect {
                try strategy.signals(on: bars, parameters: ["n": bad])
            } throws: { error in
                let error = error as? ExpressionError
                return error?.code == .parameter && error?.column == 20
            }
        }
        #expect(throws: ExpressionError.self) { try strategy.signals(on: bars, parameters: ["m": 3]) }
    }

    @Test func seriesExpressionsEvaluateOnTheirOwn() throws {
        let momentum = try SeriesExpression("close / shift(close, lookback) - 1", parameters: ["lookback": 2])
        #expect(momentum.type == .series)
        let values = try momentum.values(on: bars)
        #expect(sameSeries(values, [nan, nan, 2, 1, 2.0 / 3, 0, -0.4, -0.5, 0, 1]))
        let longer = try momentum.values(on: bars, parameters: ["lookback": 3])
        #expect(sameSeries(longer, [nan, nan, nan, 3, 1.5, 1.0 / 3, -0.25, -0.6, -0.25, 1.0 / 3]))
        #expect(try SeriesExpression("close > 3").values(on: bars) == [0, 0, 0, 1, 1, 1, 0, 0, 0, 1])
        #expect(try SeriesExpression("2 * k", parameters: ["k": 3]).type == .number)
        #expect(throws: ExpressionError.self) { try SeriesExpression("close +") }
    }
}
