import PulseAnalytics
import PulseProtocol

/// Backtest results as wire messages: statistics under backtesting.py's names in its order with their kinds
/// (times in epoch ms, durations in days, NaN when undefined), closed and open trades, the equity curve.
enum WireResults {
    static func result(
        _ result: BacktestResult, symbol: String, bars: BarSeries, parameters: [String: Double], maxEquityPoints: Int
    ) -> PulseV1.BacktestResult {
        let times = WireBars.timesMs(bars)
        var wire = PulseV1.BacktestResult()
        wire.statistics = statistics(result.statistics)
        wire.trades = result.trades.map { trade(symbol, $0, times: times) }
        wire.openTrades = result.openTrade.map { [trade(symbol, $0, times: times)] } ?? []
        wire.equity = equity(result.equity, times: times, maxPoints: maxEquityPoints)
        wire.parameters = Self.parameters(parameters)
        return wire
    }

    static func result(
        _ result: PortfolioResult, parameters: [String: Double], maxEquityPoints: Int
    ) -> PulseV1.BacktestResult {
        let times = (result.timeline.timestamps ?? []).map { $0 * 1000 }
        var wire = PulseV1.BacktestResult()
        wire.statistics = statistics(result.statistics)
        wire.trades = result.trades.map { trade(result.symbols[$0.symbol], $0.trade, times: times) }
        wire.openTrades = zip(result.symbols, result.openUnits).filter { $0.1 != 0 }.map { symbol, units in
            var open = PulseV1.Trade()
            open.symbol = symbol
            open.size = units
            return open
        }
        wire.equity = equity(result.equity, times: times, maxPoints: maxEquityPoints)
        wire.parameters = Self.parameters(parameters)
        return wire
    }

    static func statistics(_ s: BacktestStatistics) -> [PulseV1.Statistic] {
        BacktestStatistics.names.map { name in
            let kind: PulseV1.StatisticKind =
                name == "Start" || name == "End"
                ? .timeMs : BacktestStatistics.durationNames.contains(name) ? .durationDays : .number
            let value: Double
            switch s.value(named: name) {
            case .number(let v): value = v
            case .time(let seconds): value = Double(seconds) * 1000
            case .count(let c): value = Double(c)
            case .undefined: value = .nan
            }
            return PulseV1.Statistic(name: name, value: value, kind: kind)
        }
    }

    static func parameters(_ values: [String: Double]) -> [PulseV1.StrategyParameter] {
        values.keys.sorted().map { PulseV1.StrategyParameter(name: $0, value: values[$0]!) }
    }

    static func trade(_ symbol: String, _ t: BacktestTrade, times: [Int64]) -> PulseV1.Trade {
        var wire = PulseV1.Trade()
        wire.symbol = symbol
        wire.size = t.size
        wire.entryBar = UInt32(clamping: t.entryBar)
        wire.exitBar = UInt32(clamping: t.exitBar)
        wire.entryTimeMs = t.entryBar < times.count ? times[t.entryBar] : (t.entryTime ?? 0) * 1000
        wire.exitTimeMs = t.exitBar < times.count ? times[t.exitBar] : (t.exitTime ?? 0) * 1000
        wire.entryPrice = t.entryPrice
        wire.exitPrice = t.exitPrice
        wire.pnl = t.pnl
        wire.returnFraction = t.returnFraction
        wire.commission = t.commission
        wire.stopLoss = t.stopLoss
        wire.takeProfit = t.takeProfit
        return wire
    }

    /// The equity curve with its drawdown below the running peak; with `maxPoints` > 0 and fewer than the bars,
    /// that many points evenly spaced over the bars, the first and the last included (the drawdown of each kept
    /// point is still measured against the peak of every bar before it).
    static func equity(_ equity: [Double], times: [Int64], maxPoints: Int) -> PulseV1.EquityCurve {
        var drawdown = [Double](repeating: 0, count: equity.count)
        var peak = -Double.infinity
        for i in equity.indices {
            peak = max(peak, equity[i])
            drawdown[i] = 1 - equity[i] / peak
        }
        let n = equity.count
        var curve = PulseV1.EquityCurve()
        guard maxPoints > 0, maxPoints < n else {
            curve.timeMs = Array(times.prefix(n))
            curve.equity = equity
            curve.drawdown = drawdown
            return curve
        }
        let picked =
            maxPoints == 1
            ? [n - 1] : (0..<maxPoints).map { k in Int((Double(k) * Double(n - 1) / Double(maxPoints - 1)).rounded()) }
        curve.timeMs = picked.map { $0 < times.count ? times[$0] : 0 }
        curve.equity = picked.map { equity[$0] }
        curve.drawdown = picked.map { drawdown[$0] }
        return curve
    }
}
