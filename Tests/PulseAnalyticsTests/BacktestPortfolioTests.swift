import Testing

@testable import PulseAnalytics

@Suite("Portfolio backtests")
struct BacktestPortfolioTests {
    /// Bars at the given day offsets from 2024-01-01 with (open, close) pairs (high/low span them).
    static func bars(days: [Int], _ prices: [(Double, Double)]) -> BarSeries {
        let start = TimestampParser.daysFromCivil(year: 2024, month: 1, day: 1) * 86_400
        return BarSeries(
            labels: days.map { "d\($0)" }, timestamps: days.map { start + Int64($0) * 86_400 },
            open: prices.map(\.0), high: prices.map { max($0.0, $0.1) }, low: prices.map { min($0.0, $0.1) },
            close: prices.map(\.1), volume: nil)
    }

    @Test("two symbols share one cash balance: each gets half the equity at the decision close")
    func sharedCash() throws {
        let a = PortfolioAsset(symbol: "A", bars: Self.bars(days: [0, 1, 2], [(10, 10), (10, 12), (12, 13)]))
        let b = PortfolioAsset(symbol: "B", bars: Self.bars(days: [0, 1, 2], [(50, 50), (49, 48), (47, 46)]))
        var config = PortfolioConfiguration()
        config.commission = 0.001
        let r = try PortfolioBacktest.run(assets: [a, b], rule: .equal, schedule: .onChange, configuration: config)
        // Decided at day 0's close with equity 10 000: A 5 000 / 10 = 500 units, B 5 000 / 50 = 100 units,
        // filled at day 1's opens (10 and 49).
        #expect(r.openUnits == [500, 100])
        let spent = 500.0 * 10 + 100 * 49
        let fees = 500.0 * 10 * 0.001 + 100 * 49 * 0.001
        let cash = 10_000 - spent - fees
        #expect(abs(r.equity[1] - (cash + 500 * 12 + 100 * 48)) < 1e-9)
        #expect(abs(r.equity[2] - (cash + 500 * 13 + 100 * 46)) < 1e-9)

        // A gaps up to 11: its buy takes 5 505.5, and B's is cut to what the remaining cash pays.
        let gapped = PortfolioAsset(symbol: "A", bars: Self.bars(days: [0, 1, 2], [(10, 10), (11, 12), (12, 13)]))
        let cut = try PortfolioBacktest.run(
            assets: [gapped, b], rule: .equal, schedule: .onChange, configuration: config)
        let left = 10_000 - 500 * 11 * 1.001
        #expect(cut.openUnits == [500, (left / (49 * 1.001)).rounded(.down)])
    }

    @Test("a symbol without a bar at a time cannot fill there: it fills at its own next bar")
    func calendars() throws {
        // B does not trade on day 1 (a holiday on its exchange).
        let a = PortfolioAsset(
            symbol: "A", bars: Self.bars(days: [0, 1, 2, 3], [(10, 10), (10, 10), (10, 10), (10, 10)]))
        let b = PortfolioAsset(symbol: "B", bars: Self.bars(days: [0, 2, 3], [(20, 20), (25, 26), (26, 26)]))
        let r = try PortfolioBacktest.run(
            assets: [a, b], rule: .equal, schedule: .onChange, configuration: PortfolioConfiguration())
        #expect(r.timeline.count == 4)
        #expect(r.openUnits == [500, 200])  // B's 5 000 / 20 decided on day 0, filled at day 2's open of 25
        // On day 1 only A is held; B's cash is still cash.
        #expect(abs(r.equity[1] - 10_000) < 1e-9)
        #expect(abs(r.equity[2] - (10_000 - 200 * 25 + 200 * 26)) < 1e-9)
    }

    @Test("no look-ahead: bars after a decision never change the units decided")
    func noLookAhead() throws {
        let days = Array(0..<6)
        let base: [(Double, Double)] = [(10, 10), (10, 11), (11, 12), (12, 12), (12, 13), (13, 13)]
        var changed = base
        changed[3] = (100, 100)
        changed[4] = (1, 1)
        let run = { (prices: [(Double, Double)]) in
            try PortfolioBacktest.run(
                assets: [PortfolioAsset(symbol: "A", bars: Self.bars(days: days, prices))], rule: .equal,
                schedule: .onChange, configuration: PortfolioConfiguration())
        }
        let x = try run(base)
        let y = try run(changed)
        #expect(Array(x.equity[..<3]) == Array(y.equity[..<3]))
        #expect(x.openUnits == y.openUnits)
    }

    @Test("signal-driven: symbols in a position share equity equally; an exit closes a trade with its PnL")
    func signalDriven() throws {
        let days = Array(0..<6)
        let prices: [(Double, Double)] = [(10, 10), (10, 10), (10, 10), (12, 12), (12, 12), (12, 12)]
        let a = PortfolioAsset(symbol: "A", bars: Self.bars(days: days, prices))
        let b = PortfolioAsset(symbol: "B", bars: Self.bars(days: days, prices))
        var sa = StrategySignals(count: 6)
        sa.longEntry[1] = true
        sa.longExit[3] = true
        let sb = StrategySignals(count: 6)  // never enters
        let r = try PortfolioBacktest.run(
            assets: [a, b], rule: .signals([sa, sb]), schedule: .onChange, configuration: PortfolioConfiguration())
        // A alone is active from day 1: 10 000 / 10 = 1 000 units at day 2's open 10, sold at day 4's open 12.
        #expect(r.trades.count == 1)
        #expect(r.trades[0].symbol == 0)
        #expect(r.trades[0].trade.size == 1_000)
        #expect(r.trades[0].trade.entryBar == 2 && r.trades[0].trade.exitBar == 4)
        #expect(abs(r.trades[0].trade.pnl - 2_000) < 1e-9)
        #expect(r.openUnits == [0, 0])
        #expect(abs(r.statistics.equityFinal - 12_000) < 1e-9)
    }

    @Test("monthly rebalancing trades back to the fixed weights at the first bar of each month")
    func monthly() throws {
        // Days 0…59 from 2024-01-01: January, February and the start of March.
        let days = Array(0..<62)
        let up = days.map { d -> (Double, Double) in (100 + Double(d), 100 + Double(d)) }
        let flat = days.map { _ in (100.0, 100.0) }
        var config = PortfolioConfiguration()
        config.fractional = true
        let r = try PortfolioBacktest.run(
            assets: [
                PortfolioAsset(symbol: "UP", bars: Self.bars(days: days, up)),
                PortfolioAsset(symbol: "FLAT", bars: Self.bars(days: days, flat)),
            ], rule: .fixed(["UP": 0.5, "FLAT": 0.5]), schedule: .monthly, configuration: config)
        // Decisions on Jan 1, Feb 1 (day 31) and Mar 1 (day 60); UP is sold down on Feb 2 and Mar 2.
        let exits = r.trades.filter { $0.symbol == 0 }.map(\.trade.exitBar)
        #expect(exits == [32, 61])
        #expect(r.trades.allSatisfy { $0.trade.pnl > 0 })
    }

    @Test("score weights: positive scores normalised to 1, zero or negative scores get nothing")
    func scores() throws {
        let days = [0, 1, 2]
        let flat: [(Double, Double)] = [(10, 10), (10, 10), (10, 10)]
        let assets = ["A", "B", "C"].map { PortfolioAsset(symbol: $0, bars: Self.bars(days: days, flat)) }
        var config = PortfolioConfiguration()
        config.fractional = true
        let r = try PortfolioBacktest.run(
            assets: assets, rule: .scores([[3, 3, 3], [1, 1, 1], [-2, -2, -2]]), schedule: .onChange,
            configuration: config)
        // Equity 10 000 at 10 a unit: A gets 3/4 (750 units), B 1/4 (250), C nothing.
        #expect(r.openUnits == [750, 250, 0])
    }
}
