import Testing

@testable import PulseAnalytics

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Backtest statistics")
struct BacktestStatisticsTests {
    @Test("drawdowns: depth, average peak and durations between recoveries")
    func drawdowns() {
        // Peaks at bars 0, 3 and 6; two underwater periods: 0→3 (deepest 20 %) and 6→8 (10 %, unrecovered).
        let equity: [Double] = [100, 80, 90, 100, 110, 120, 130, 117, 120]
        let a = DrawdownAnalysis(equity: equity, timestamps: nil)
        #expect(abs(a.maximum - 0.2) < 1e-12)
        #expect(abs(a.averagePeak - (0.2 + 0.1) / 2) < 1e-12)
        #expect(a.maxDuration == 3)
        #expect(a.averageDuration == 2.5)
    }

    @Test("day returns, annualisation and Sharpe follow backtesting.py's formulas")
    func annualised() {
        let closes: [Double] = [100, 101, 99, 102, 104, 103, 105, 107, 106, 108]
        // 2024-01-01 is a Monday: ten consecutive days include a weekend, 2 of 10 bars; more than 2/7 × 60 %
        // of bars on weekends means the market trades every day: 365 periods a year.
        let bars = makeBars(closes.map { ($0, $0, $0, $0) })
        let equity = closes.map { $0 * 100 }
        let s = BacktestStatistics(bars: bars, equity: equity, trades: [], warmupBars: 0)
        var returns: [Double] = []
        for i in 1..<equity.count { returns.append(equity[i] / equity[i - 1] - 1) }
        var logSum = 0.0
        for r in returns { logSum += log(1 + r) }
        let g = exp(logSum / Double(returns.count)) - 1
        let annual = pow(1 + g, 365) - 1
        let m = returns.reduce(0, +) / Double(returns.count)
        let variance = returns.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(returns.count - 1)
        let volatility = (pow(variance + (1 + g) * (1 + g), 365) - pow(1 + g, 730)).squareRoot()
        #expect(abs(s.annualReturnPercent! - annual * 100) < 1e-9 * annual * 100)
        #expect(abs(s.annualVolatilityPercent! - volatility * 100) < 1e-9 * volatility * 100)
        #expect(abs(s.sharpeRatio! - annual / volatility) < 1e-9)
        #expect(abs(s.returnPercent - 8) < 1e-12)
        #expect(abs(s.buyAndHoldReturnPercent! - 8) < 1e-12)
        // Equity moves exactly with the close: beta 1, alpha 0.
        #expect(abs(s.beta! - 1) < 1e-12)
        #expect(abs(s.alphaPercent!) < 1e-9)
        #expect(s.tradeCount == 0)
        #expect(s.winRatePercent == nil)
        #expect(s.sqn == nil)
    }

    @Test("trade statistics: win rate, geometric average, profit factor, SQN, Kelly")
    func tradeStatistics() {
        let bars = makeBars(flatRows(10, 100))
        func trade(_ pnl: Double, _ r: Double, _ entry: Int, _ exit: Int) -> BacktestTrade {
            BacktestTrade(
                size: 1, entryBar: entry, exitBar: exit, entryPrice: 100, exitPrice: 100 + pnl, pnl: pnl,
                returnFraction: r, commission: 0, entryTime: nil, exitTime: nil)
        }
        let trades = [trade(10, 0.1, 1, 2), trade(-5, -0.05, 3, 5), trade(20, 0.2, 6, 8)]
        let s = BacktestStatistics(
            bars: bars, equity: Array(repeating: 10_000, count: 10), trades: trades, warmupBars: 0)
        #expect(abs(s.winRatePercent! - 200.0 / 3) < 1e-9)
        #expect(abs(s.bestTradePercent! - 20) < 1e-12)
        #expect(abs(s.worstTradePercent! + 5) < 1e-12)
        let g = pow(1.1 * 0.95 * 1.2, 1.0 / 3) - 1
        #expect(abs(s.averageTradePercent! - g * 100) < 1e-9)
        #expect(abs(s.profitFactor! - 0.3 / 0.05) < 1e-9)
        #expect(abs(s.expectancyPercent! - 25.0 / 3) < 1e-9)
        let mean = 25.0 / 3
        let sd = (([10.0, -5, 20].map { ($0 - mean) * ($0 - mean) }.reduce(0, +)) / 2).squareRoot()
        #expect(abs(s.sqn! - 3.0.squareRoot() * mean / sd) < 1e-9)
        let w = 2.0 / 3
        #expect(abs(s.kellyCriterion! - (w - (1 - w) / (15.0 / 5))) < 1e-12)
        // Bars 1–2, 3–5 and 6–8 are in the market: 8 of 10.
        #expect(abs(s.exposureTimePercent - 80) < 1e-12)
        #expect(s.maxTradeDuration == 2)  // days
    }

    @Test("pandas' rolling mean: exact on a constant window, NaN during the lookback")
    func pandasRollingMean() {
        let m = PandasRolling.mean([1, 2, 3, 4, 0.1, 0.1, 0.1], window: 3)
        #expect(m[0].isNaN && m[1].isNaN)
        #expect(m[2] == 2 && m[3] == 3)
        #expect(m[6] == 0.1)  // a run of equal values returns the value itself, not a rounded sum / 3
    }

    @Test("statistic names are backtesting.py's and every alias resolves")
    func names() {
        #expect(BacktestStatistics.names.count == 32)
        for (_, full) in BacktestStatistics.aliases { #expect(BacktestStatistics.names.contains(full)) }
        #expect(BacktestStatistics.resolveName("sharpe") == "Sharpe Ratio")
        #expect(BacktestStatistics.resolveName("SHARPE RATIO") == "Sharpe Ratio")
        #expect(BacktestStatistics.resolveName("nope") == nil)
    }
}

@Suite("Backtest log ratio")
struct BacktestLogRatioTests {
    /// `log(a / b)` itself rounds `a / b` first (an absolute error up to ~1.1e-16 near 1), so the comparison
    /// allows that much on top of 1e-15 relative.
    @Test("the series log ratio agrees with log(a / b), and falls back beyond its range")
    func agreesWithLog() {
        for (a, b) in [(100.0, 99.9), (1.0001, 1), (50, 52), (1, 1.099), (1, 1.2), (3, 1), (5, 5), (0.5, 0.49)] {
            let exact = log(a / b)
            let got = logRatio(a, b)
            #expect(abs(got - exact) <= 2.5e-16 + 1e-15 * abs(exact), "\(a)/\(b)")
        }
        #expect(logRatio(0, 1) == -.infinity)
        #expect(logRatio(0, 0).isNaN)
    }
}
