import Testing

@testable import PulseAnalytics

@Suite("Backtest multi-timeframe and sizing")
struct BacktestTimeframeTests {
    /// Three days of hourly bars at 100, with `overrides` (bar index → close).
    static func hourly(_ overrides: [Int: Double]) -> BarSeries {
        let start = TimestampParser.daysFromCivil(year: 2024, month: 3, day: 4) * 86_400
        let closes = (0..<72).map { overrides[$0] ?? 100 }
        return BarSeries(
            labels: closes.indices.map { "h\($0)" }, timestamps: closes.indices.map { start + Int64($0) * 3_600 },
            open: closes, high: closes, low: closes, close: closes, volume: nil)
    }

    @Test("a daily signal acts on hourly bars only after that day's bar has completed")
    func higherTimeframeSignal() throws {
        let strategy = try Strategy.compile(entry: "close@1d > 150")
        // From bar 36 on, every close is 200; a daily bar closes at 200 once one of its sessions ends after that.
        let bars = Self.hourly(Dictionary(uniqueKeysWithValues: (36..<72).map { ($0, 200.0) }))
        let result = try BacktestEngine.run(
            bars: bars, signals: try strategy.signals(on: bars), configuration: BacktestConfiguration())
        let trade = try #require(result.openTrade)
        // Worked out by hand, not with the resampler: bar h opens at 2024-03-04 00:00 UTC + h hours, which is
        // 2024-03-03 19:00 EST + h (UTC−5; DST starts 2024-03-10). US/Eastern days: Mar 3 = bars 0–4,
        // Mar 4 = bars 5–28, Mar 5 = bars 29–52, Mar 6 = bars 53–71 (still open at the end). Mar 4 closes at
        // bar 28's 100; Mar 5 closes at bar 52's 200 and is complete when bar 52 ends (Mar 6 00:00 EST). So the
        // signal is seen at bar 52's close and the market entry fills at bar 53's open.
        #expect(trade.entryBar == 53)
        // The same condition on an intraday close (no @1d) would have fired at bar 36.
        let intraday = try BacktestEngine.run(
            bars: bars, signals: try Strategy.compile(entry: "close > 150").signals(on: bars),
            configuration: BacktestConfiguration())
        #expect(intraday.openTrade?.entryBar == 37)

        // A spike inside a day that the day's close does not keep never triggers the daily condition.
        let spiked = Self.hourly([30: 200])
        let none = try BacktestEngine.run(
            bars: spiked, signals: try strategy.signals(on: spiked), configuration: BacktestConfiguration())
        #expect(none.openTrade == nil && none.trades.isEmpty)
    }

    @Test("fractional sizing spends all available cash after costs; cash sizing buys what the amount pays")
    func sizing() throws {
        var signals = StrategySignals(count: 5)
        signals.longEntry[1] = true
        let bars = makeBars(flatRows(5, 100))
        var config = BacktestConfiguration()
        config.commission = 0.01
        config.fractional = true
        let fractional = try #require(
            try BacktestEngine.run(bars: bars, signals: signals, configuration: config).openTrade)
        let expected =
            10_000 * (1 - Double.ulpOfOne) / (100 + (1 - Double.ulpOfOne) * 100 * 0.01 / (1 - Double.ulpOfOne))
        #expect(abs(fractional.size - expected) < 1e-9)

        config.fractional = false
        config.sizing = .cash(2_500)
        let cash = try #require(try BacktestEngine.run(bars: bars, signals: signals, configuration: config).openTrade)
        #expect(cash.size == 24)  // 2 500 / 101 = 24.75…
    }
}
