import Testing

@testable import PulseAnalytics

@Suite("Backtest stops, shorts and costs")
struct BacktestStopsTests {
    @Test("when stop-loss and take-profit both lie inside one bar, the stop-loss fills (pessimistic)")
    func stopLossFirst() throws {
        var rows = flatRows(6, 100)
        rows[3] = (100, 115, 85, 100)
        var signals = StrategySignals(count: 6)
        signals.longEntry[1] = true
        var config = BacktestConfiguration()
        config.stopLossFraction = 0.1
        config.takeProfitFraction = 0.1
        let result = try BacktestEngine.run(bars: makeBars(rows), signals: signals, configuration: config)
        let trade = try #require(result.trades.first)
        #expect(trade.exitBar == 3)
        #expect(trade.exitPrice == 90)
        #expect(trade.stopLoss == 90)
    }

    @Test("a gap through the stop-loss fills at the open, not the stop")
    func gapThroughStop() throws {
        var rows = flatRows(6, 100)
        rows[3] = (80, 82, 78, 81)
        var signals = StrategySignals(count: 6)
        signals.longEntry[1] = true
        var config = BacktestConfiguration()
        config.stopLossFraction = 0.1
        let trade = try #require(
            try BacktestEngine.run(bars: makeBars(rows), signals: signals, configuration: config).trades.first)
        #expect(trade.exitPrice == 80)
    }

    @Test("a take-profit on a short fills when the low reaches it")
    func shortTakeProfit() throws {
        var rows = flatRows(6, 100)
        rows[4] = (99, 99, 89, 90)
        var signals = StrategySignals(count: 6)
        signals.shortEntry[1] = true
        var config = BacktestConfiguration()
        config.takeProfitFraction = 0.1
        let result = try BacktestEngine.run(bars: makeBars(rows), signals: signals, configuration: config)
        let trade = try #require(result.trades.first)
        #expect(trade.size == -99)  // floor(10 000 × (1 − ε) / 100)
        #expect(trade.exitBar == 4)
        #expect(trade.exitPrice == 90)
        #expect(abs(trade.pnl - 99 * 10) < 1e-9)
    }

    @Test("a trailing stop follows the close up and never down")
    func trailingStop() throws {
        let closes: [Double] = [100, 100, 100, 110, 120, 115, 112, 107, 100]
        let rows = closes.map { ($0, $0, $0, $0) }
        var signals = StrategySignals(count: rows.count)
        signals.longEntry[1] = true
        var config = BacktestConfiguration()
        config.trailingStopFraction = 0.1
        let trade = try #require(
            try BacktestEngine.run(bars: makeBars(rows), signals: signals, configuration: config).trades.first)
        // Highest close 120 sets the stop at 108; bar 7 (low 107) hits it.
        #expect(trade.exitBar == 7)
        #expect(abs(trade.exitPrice - 107) < 1e-9)  // opens at 107, below the 108 stop: filled at the open
        #expect(abs((trade.stopLoss ?? 0) - 108) < 1e-9)
    }

    @Test("fixed and relative commission are both charged on entry and exit")
    func commissions() throws {
        var rows = flatRows(6, 100)
        rows[4] = (110, 110, 110, 110)
        var signals = StrategySignals(count: 6)
        signals.longEntry[1] = true
        signals.longExit[3] = true
        var config = BacktestConfiguration()
        config.sizing = .units(10)
        config.commission = 0.01
        config.fixedCommission = 2
        let result = try BacktestEngine.run(bars: makeBars(rows), signals: signals, configuration: config)
        let trade = try #require(result.trades.first)
        let entryCommission: Double = 2 + 10 * 100 * 0.01
        let exitCommission: Double = 2 + 10 * 110 * 0.01
        let expectedCommission = entryCommission + exitCommission
        #expect(abs(trade.commission - expectedCommission) < 1e-9)
        let gross: Double = 10 * 10
        #expect(abs(trade.pnl - (gross - expectedCommission)) < 1e-9)
        #expect(abs(result.equity[5] - (10_000 + trade.pnl)) < 1e-9)
        #expect(abs(result.statistics.commissions - expectedCommission) < 1e-9)
    }

    @Test("slippage worsens the entry price; margin 0.5 doubles the units")
    func slippageAndMargin() throws {
        let rows = flatRows(5, 100)
        var signals = StrategySignals(count: 5)
        signals.longEntry[1] = true
        var config = BacktestConfiguration()
        config.spread = 0.01
        config.margin = 0.5
        let trade = try #require(
            try BacktestEngine.run(bars: makeBars(rows), signals: signals, configuration: config).openTrade)
        #expect(trade.entryPrice == 101)
        #expect(trade.size == 198)  // floor(20 000 × (1 − ε) / 101)
    }

    @Test("an opposite entry closes the open trade first (exclusive orders)")
    func reversal() throws {
        var rows = flatRows(8, 100)
        rows[3] = (105, 105, 105, 105)
        var signals = StrategySignals(count: 8)
        signals.longEntry[1] = true
        signals.shortEntry[2] = true
        let result = try BacktestEngine.run(
            bars: makeBars(rows), signals: signals, configuration: BacktestConfiguration())
        #expect(result.trades.count == 1)
        #expect(result.trades[0].exitBar == 3)
        #expect(result.openTrade?.entryBar == 3)
        #expect(result.openTrade?.isLong == false)
    }

    @Test("Python's float floor division, including where floor(a / b) differs")
    func floorDivision() {
        #expect(pythonFloorDivide(7, 2) == 3)
        #expect(pythonFloorDivide(-7, 2) == -4)
        // 1 / 0.1 rounds to 10.0, but 1 // 0.1 is 9.0 in Python (0.1 is slightly above 1/10).
        #expect(pythonFloorDivide(1, 0.1) == 9)
        #expect((1 / 0.1).rounded(.down) == 10)
    }

    @Test("long-only turns short entries into long exits; short-only the reverse")
    func directions() throws {
        var rows = flatRows(8, 100)
        rows[3] = (110, 110, 110, 110)
        rows[5] = (90, 90, 90, 90)
        var signals = StrategySignals(count: 8)
        signals.longEntry[1] = true
        signals.shortEntry[4] = true
        let bars = makeBars(rows)
        let longOnly = try BacktestEngine.run(
            bars: bars, signals: signals.restricted(to: .long), configuration: BacktestConfiguration())
        #expect(longOnly.trades.count == 1 && longOnly.trades[0].isLong && longOnly.trades[0].exitBar == 5)
        #expect(longOnly.openTrade == nil)
        let shortOnly = try BacktestEngine.run(
            bars: bars, signals: signals.restricted(to: .short), configuration: BacktestConfiguration())
        #expect(shortOnly.trades.isEmpty)
        #expect(shortOnly.openTrade?.isLong == false && shortOnly.openTrade?.entryBar == 5)
    }
}
