import Testing

@testable import PulseAnalytics

/// The language's `sma` is pandas' `rolling(n).mean()`, as backtesting.py's `SMA`, bit for bit; TA-Lib's SMA is
/// `ta_sma`. Expected bits come from pandas 3.1.1 (`pd.Series(x).rolling(n).mean()`), not from PulseTrader.
@Suite struct ExpressionPandasSMATests {
    let nan = Double.nan

    /// GOOG closes 2010-06-24 … 2010-08-18 (backtesting.py's test data). On 2010-08-17 (index 37) the 5- and 25-day
    /// means are both 489.242 in decimal: pandas makes them equal to the bit, TA-Lib's running sum puts the fast
    /// one a few ulps above, so TA-Lib crosses down on 2010-08-18 and backtesting.py does not.
    let goog = ExpressionFixture.bars(closes: [
        475.1, 472.68, 472.08, 454.26, 444.95, 439.49, 436.55, 436.07, 450.2, 456.56, 467.49, 475.83, 489.2, 491.34,
        494.02, 459.61, 466.18, 481.59, 477.5, 484.81, 490.06, 488.97, 492.63, 484.35, 484.99, 484.85, 490.41, 489.83,
        506.32, 508.1, 500.22, 505.35, 503.71, 491.74, 492.01, 486.35, 485.59, 490.52, 482.15,
    ])
    let tie = 37

    @Test func smaIsPandasRollingMeanToTheBit() throws {
        let fast = try ExpressionFixture.values("sma(close, 5)", on: goog)
        let slow = try ExpressionFixture.values("sma(close, 25)", on: goog)
        // pandas, bars 36…38.
        let pandasFast: [Double] = [0x1.ebe1_47ae_147a_ep+8, 0x1.e93d_f3b6_45a1_dp+8, 0x1.e752_f1a9_fbe7_6p+8]
        let pandasSlow: [Double] = [0x1.e930_6f69_4467_3p+8, 0x1.e93d_f3b6_45a1_dp+8, 0x1.e8df_d8ad_ab9f_6p+8]
        #expect(Array(fast[36...38]).map(\.bitPattern) == pandasFast.map(\.bitPattern))
        #expect(Array(slow[36...38]).map(\.bitPattern) == pandasSlow.map(\.bitPattern))
        #expect(fast[tie] == slow[tie])
        // Elsewhere: NaN for the first n − 1 bars, then the plain mean of the window.
        for (values, n) in [(fast, 5), (slow, 25)] {
            let means = goog.close.indices.map { i in
                i < n - 1 ? nan : goog.close[(i - n + 1)...i].reduce(0, +) / Double(n)
            }
            #expect(sameSeries(values, means, tolerance: 1e-14))
        }
    }

    @Test func taSmaIsTALibsAndDiffersOnTheTie() throws {
        let taFast = try ExpressionFixture.values("ta_sma(close, 5)", on: goog)
        let taSlow = try ExpressionFixture.values("ta_sma(close, 25)", on: goog)
        #expect(sameSeries(taFast, try TA.sma(goog.close, period: 5), tolerance: 0))
        #expect(sameSeries(taSlow, try TA.sma(goog.close, period: 25), tolerance: 0))
        // TA-Lib (talib.SMA): 0x1.e93df3b645a20p+8 vs 0x1.e93df3b645a1ap+8 on the tie.
        #expect(taFast[tie] > taSlow[tie])
        let pandasTie = try ExpressionFixture.values("sma(close, 5)", on: goog)[tie]
        #expect(taFast[tie] != pandasTie && abs(taFast[tie] - pandasTie) < 1e-12)
    }

    @Test func smaCrossFollowsBacktestingPyOnTheTie() throws {
        let pandas = try Strategy.compile(named: "sma-cross", parameters: ["fast": 5, "slow": 25]).signals(on: goog)
        // backtesting.py: crossover(slow, fast) needs slow < fast the bar before; equal is not below.
        #expect(!pandas.shortEntry.contains(true))
        #expect(pandas.warmupBars == 24)
        let talib = try Strategy.compile(
            entry: "crossover(ta_sma(close, 5), ta_sma(close, 25))",
            shortEntry: "crossover(ta_sma(close, 25), ta_sma(close, 5))"
        ).signals(on: goog)
        #expect(talib.shortEntry.indices.filter { talib.shortEntry[$0] } == [tie + 1])
    }

    @Test func nanInsideTheWindowIsPandasMinPeriods() throws {
        let bars = ExpressionFixture.bars(closes: [1, 2, 3, 4, 5, 4, 3, 2, 3, 4])
        // (close − 3) / (close − 3) is NaN where close = 3; pandas: NaN while a NaN is in the window, then defined.
        let gappy = try ExpressionFixture.values("sma((close - 3) / (close - 3), 2)", on: bars)
        #expect(sameSeries(gappy, [nan, 1, nan, nan, 1, 1, nan, nan, nan, nan], tolerance: 0))
        let late = try ExpressionFixture.values("sma(shift(close, 2), 3)", on: bars)
        #expect(sameSeries(late, [nan, nan, nan, nan, 2, 3, 4, 13.0 / 3, 4, 3], tolerance: 0))
        // Warm-up: the first defined bar of every indicator (backtesting.py's _indicator_warmup_nbars).
        let signals = try Strategy.compile(entry: "close > sma(shift(close, 2), 3)").signals(on: bars)
        #expect(signals.warmupBars == 4)
    }

    @Test func eachMeaningHasOneName() throws {
        let names = FunctionCatalog.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(FunctionCatalog.function(named: "sma")?.signature == "sma(x, n)")
        #expect(FunctionCatalog.function(named: "ta_sma")?.signature == "ta_sma(x, n)")
        #expect(FunctionCatalog.listing.contains("sma(x, n) — simple moving average of x over n bars, pandas"))
    }
}
