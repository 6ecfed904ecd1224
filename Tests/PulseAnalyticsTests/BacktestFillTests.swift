import Testing

@testable import PulseAnalytics

/// Daily bars from 2024-01-01 with the given (open, high, low, close) tuples.
func makeBars(_ rows: [(Double, Double, Double, Double)]) -> BarSeries {
    let start = TimestampParser.daysFromCivil(year: 2024, month: 1, day: 1) * 86_400
    return BarSeries(
        labels: rows.indices.map { "bar\($0)" }, timestamps: rows.indices.map { start + Int64($0) * 86_400 },
        open: rows.map(\.0), high: rows.map(\.1), low: rows.map(\.2), close: rows.map(\.3), volume: nil)
}

/// Flat bars at `price` (open = high = low = close).
func flatRows(_ count: Int, _ price: Double) -> [(Double, Double, Double, Double)] {
    Array(repeating: (price, price, price, price), count: count)
}

@Suite("Backtest fills")
struct BacktestFillTests {
    @Test("a market order fills at the next bar's open, sized with all available cash in whole units")
    func marketNextOpen() throws {
        var rows = flatRows(6, 100)
        rows[2] = (103, 105, 101, 104)
        let bars = makeBars(rows)
        var signals = StrategySignals(count: 6)
        signals.longEntry[1] = true
        var config = BacktestConfiguration()
        config.commission = 0.01
        let result = try BacktestEngine.run(bars: bars, signals: signals, configuration: config)
        let trade = try #require(result.openTrade)
        #expect(trade.entryBar == 2)
        #expect(trade.entryPrice == 103)
        // 10 000 / (103 × 1.01) = 96.1…: 96 whole units.
        #expect(trade.size == 96)
        #expect(result.trades.isEmpty)
        // Entry commission is paid at the fill; equity at bar 2's close marks the units at 104.
        let cash = 10_000 - 96 * 103 * 0.01
        #expect(abs(result.equity[2] - (cash + 96 * (104 - 103))) < 1e-9)
        #expect(result.equity[1] == 10_000)
    }

    @Test("trade-on-close fills at the signal bar's close and records the signal bar")
    func tradeOnClose() throws {
        var rows = flatRows(5, 100)
        rows[1] = (100, 100, 100, 90)
        let bars = makeBars(rows)
        var signals = StrategySignals(count: 5)
        signals.longEntry[1] = true
        var config = BacktestConfiguration()
        config.tradeOnClose = true
        let trade = try #require(try BacktestEngine.run(bars: bars, signals: signals, configuration: config).openTrade)
        #expect(trade.entryBar == 1)
        #expect(trade.entryPrice == 90)
        #expect(trade.size == 111)  // floor(10 000 / 90)
    }

    @Test("no look-ahead: changing bars after a fill never changes the fill or earlier equity")
    func noLookAhead() throws {
        let base = (0..<30).map { i -> (Double, Double, Double, Double) in
            let p = 100 + Double(i % 7) * 3 - Double(i % 5)
            return (p, p + 2, p - 2, p + 1)
        }
        var signals = StrategySignals(count: 30)
        signals.longEntry[5] = true
        signals.shortEntry[12] = true
        signals.longExit[20] = true
        var changed = base
        for i in 14..<30 { changed[i] = (500, 600, 400, 550) }
        let config = BacktestConfiguration()
        let a = try BacktestEngine.run(bars: makeBars(base), signals: signals, configuration: config)
        let b = try BacktestEngine.run(bars: makeBars(changed), signals: signals, configuration: config)
        #expect(a.trades.first == b.trades.first)
        #expect(a.trades.first?.entryBar == 6)
        #expect(a.trades.first?.exitBar == 13)
        #expect(Array(a.equity[..<14]) == Array(b.equity[..<14]))
    }

    @Test("a limit buy waits until the low reaches the limit and fills at the better of open and limit")
    func limitOrder() throws {
        let bars = makeBars([
            (100, 100, 100, 100), (100, 100, 100, 100), (99, 101, 97, 98), (96, 99, 94, 95), (95, 95, 95, 95),
        ])
        var signals = StrategySignals(count: 5)
        signals.longEntry[1] = true
        signals.orders = OrderInstructions(limit: [.nan, 95, .nan, .nan, .nan])
        let trade = try #require(
            try BacktestEngine.run(bars: bars, signals: signals, configuration: BacktestConfiguration()).openTrade)
        #expect(trade.entryBar == 3)
        #expect(trade.entryPrice == 95)
    }

    @Test("a stop buy triggers when the high reaches the stop; a gap above it fills at the open")
    func stopOrder() throws {
        let bars = makeBars([
            (100, 100, 100, 100), (100, 100, 100, 100), (100, 104, 99, 103), (108, 110, 107, 109), (109, 109, 109, 109),
        ])
        var signals = StrategySignals(count: 5)
        signals.longEntry[1] = true
        signals.orders = OrderInstructions(stop: [.nan, 105, .nan, .nan, .nan])
        let trade = try #require(
            try BacktestEngine.run(bars: bars, signals: signals, configuration: BacktestConfiguration()).openTrade)
        #expect(trade.entryBar == 3)
        #expect(trade.entryPrice == 108)

        var inside = signals
        inside.orders = OrderInstructions(stop: [.nan, 103, .nan, .nan, .nan])
        let filled = try #require(
            try BacktestEngine.run(bars: bars, signals: inside, configuration: BacktestConfiguration()).openTrade)
        #expect(filled.entryBar == 2)
        #expect(filled.entryPrice == 103)
    }

    @Test("a stop-limit buy becomes a limit order once its stop triggers")
    func stopLimitOrder() throws {
        let bars = makeBars([
            (100, 100, 100, 100), (100, 100, 100, 100), (100, 106, 103, 105), (104, 105, 101, 102),
            (102, 102, 102, 102),
        ])
        var signals = StrategySignals(count: 5)
        signals.longEntry[1] = true
        // Stop 105 triggers on bar 2, whose low (103) never reaches the limit 102; bar 3's low does.
        signals.orders = OrderInstructions(limit: [.nan, 102, .nan, .nan, .nan], stop: [.nan, 105, .nan, .nan, .nan])
        let trade = try #require(
            try BacktestEngine.run(bars: bars, signals: signals, configuration: BacktestConfiguration()).openTrade)
        #expect(trade.entryBar == 3)
        #expect(trade.entryPrice == 102)
    }
}
