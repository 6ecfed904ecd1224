/// Runs a strategy's signals over bars through a simulated broker and measures the result.
///
/// ```swift
/// var config = BacktestConfiguration()
/// config.commission = 0.002
/// let result = try BacktestEngine.run(bars: bars, signals: signals, configuration: config)
/// print(result.statistics.sharpeRatio ?? .nan, result.trades.count)
/// ```
///
/// The simulation follows backtesting.py 0.6.6 with `exclusive_orders=True` (see `StrategySignals` and
/// `BrokerSimulation`): bar `i`'s signals are placed after bar `i`'s close and can fill no earlier than bar
/// `i + 1` (at its open, or, with `tradeOnClose`, at bar `i`'s close as processed on bar `i + 1`).
public enum BacktestEngine {
    /// Backtests `signals` over `bars`.
    /// - Throws: `BacktestError` for bad settings, signals of the wrong length, or cancellation.
    /// - Parameter context: the bars' `StatisticsContext` when many runs share the bars (computed otherwise).
    public static func run(
        bars: BarSeries, signals: StrategySignals, configuration: BacktestConfiguration,
        control: BacktestControl = .none, context: StatisticsContext? = nil
    ) throws(BacktestError) -> BacktestResult {
        let simulation = try simulate(bars: bars, signals: signals, configuration: configuration, control: control)
        let statistics = BacktestStatistics(
            bars: bars, equity: simulation.equity, trades: simulation.trades, warmupBars: signals.warmupBars,
            context: context)
        return BacktestResult(
            trades: simulation.trades, openTrade: simulation.openTrade, equity: simulation.equity,
            statistics: statistics)
    }

    /// The trades and equity curve without statistics.
    public static func simulate(
        bars: BarSeries, signals: StrategySignals, configuration: BacktestConfiguration,
        control: BacktestControl = .none
    ) throws(BacktestError) -> (trades: [BacktestTrade], openTrade: BacktestTrade?, equity: [Double]) {
        try configuration.validate()
        guard !bars.isEmpty else { throw BacktestError(.invalidInput, "there are no bars to backtest") }
        guard signals.count == bars.count else {
            throw BacktestError(
                .invalidInput, "the strategy gave \(signals.count) signals for \(bars.count) bars")
        }
        if let orders = signals.orders {
            for (name, column) in [
                ("limit", orders.limit), ("stop", orders.stop), ("stop-loss", orders.stopLoss),
                ("take-profit", orders.takeProfit),
            ] {
                if let column, column.count != bars.count {
                    throw BacktestError(
                        .invalidInput, "the \(name) prices have \(column.count) values for \(bars.count) bars")
                }
            }
        }
        var broker = BrokerSimulation(bars: bars, signals: signals, configuration: configuration)
        var equity = [Double](repeating: configuration.cash, count: bars.count)
        let n = bars.count
        var i = max(1, signals.warmupBars + 1)
        let start = i
        var nextCheck = i + control.checkInterval
        var outOfMoney = false
        while i < n {
            broker.processOrders(bar: i)
            let value = broker.equity(bar: i)
            equity[i] = value
            if value <= 0 {
                broker.liquidate(bar: i)
                for k in i..<n { equity[k] = 0 }
                outOfMoney = true
                break
            }
            broker.act(bar: i)
            i += 1
            if i == nextCheck {
                nextCheck += control.checkInterval
                if control.isCancelled() { throw BacktestError(.cancelled, "the backtest was cancelled") }
                control.progress?(Double(i) / Double(n))
            }
        }
        if configuration.finalizeTrades && !outOfMoney && start < n {
            // backtesting.py's finalize_trades: close what is open by processing the last bar's orders again.
            broker.finalize(bar: n - 1)
            equity[n - 1] = max(0, broker.equity(bar: n - 1))
        }
        control.progress?(1)
        var trades = broker.trades
        var open = broker.openTrade(lastBar: n - 1)
        if let times = bars.timestamps {
            for k in trades.indices {
                trades[k].entryTime = times[trades[k].entryBar]
                trades[k].exitTime = times[trades[k].exitBar]
            }
            if let trade = open {
                open?.entryTime = times[trade.entryBar]
                open?.exitTime = times[trade.exitBar]
            }
        }
        return (trades, open, equity)
    }
}
