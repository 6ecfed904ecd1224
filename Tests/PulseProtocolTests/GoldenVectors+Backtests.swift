import PulseProtocol

extension GoldenVectors {
    typealias P = PulseV1.StrategyParameter

    static let backtests: [GoldenVector] = [
        GoldenVector("StrategyParameter", P(name: "fast", value: 10)),
        GoldenVector(
            "Strategy",
            {
                var strategy = PulseV1.Strategy()
                strategy.entry = "crossover(sma(close, fast), sma(close, slow))"
                strategy.exit = "crossunder(sma(close, fast), sma(close, slow))"
                strategy.parameters = [P(name: "fast", value: 10), P(name: "slow", value: 20)]
                strategy.shortEntry = "rsi(close, 14) > 70"
                strategy.shortExit = "rsi(close@1d, 14) < 50"
                return strategy
            }()),
        GoldenVector("Sizing.equityFraction", PulseV1.Sizing(.equityFraction(0.5))),
        GoldenVector("Sizing.unitsZero", PulseV1.Sizing(.units(0))),
        GoldenVector("Sizing.cash", PulseV1.Sizing(.cash(2500))),
        GoldenVector("SymbolWeight", PulseV1.SymbolWeight(symbol: "SPY", weight: 0.6)),
        GoldenVector(
            "Rebalance",
            {
                var rebalance = PulseV1.Rebalance()
                rebalance.period = .monthly
                rebalance.weights = [
                    PulseV1.SymbolWeight(symbol: "SPY", weight: 0.6), PulseV1.SymbolWeight(symbol: "TLT", weight: 0.4),
                ]
                rebalance.weightExpression = "1 / stddev(close, 20)"
                return rebalance
            }()),
        GoldenVector("BacktestRequest", backtestRequest),
        GoldenVector(
            "BacktestRequest.portfolio",
            {
                var spy = PulseV1.BarSeries()
                spy.symbol = "SPY"
                spy.timeMs = [1, 2]
                spy.open = [1, 2]
                spy.high = [1, 2]
                spy.low = [1, 2]
                spy.close = [1, 2]
                spy.volume = [0, 0]
                var tlt = PulseV1.BarSeries()
                tlt.symbol = "TLT"
                var strategy = PulseV1.Strategy()
                strategy.entry = "close > sma(close, 2)"
                strategy.exit = "close < sma(close, 2)"
                var request = PulseV1.BacktestRequest()
                request.symbols = ["SPY", "TLT"]
                request.data = [spy, tlt]
                request.strategy = strategy
                request.sizing = PulseV1.Sizing(.cash(5000))
                request.trailingStop = 0.1
                return request
            }()),
        GoldenVector("Statistic", PulseV1.Statistic(name: "Return [%]", value: 462.6364)),
        GoldenVector("Statistic.undefined", PulseV1.Statistic(name: "Sortino Ratio", value: .nan)),
        GoldenVector(
            "Statistic.duration", PulseV1.Statistic(name: "Max. Drawdown Duration", value: 1273.5, kind: .durationDays)),
        GoldenVector(
            "Trade",
            trade(
                size: -87, bars: (21, 34), times: (1_095_120_000_000, 1_096_848_000_000), prices: (113.72, 123.21),
                pnl: -867.3, returnFraction: -0.0876, commission: 43.2, stopLoss: 0, takeProfit: 100.5)),
        GoldenVector(
            "EquityCurve",
            {
                var curve = PulseV1.EquityCurve()
                curve.timeMs = [1_092_873_600_000, 1_092_960_000_000, 1_093_219_200_000]
                curve.equity = [10000, 10020.5, 9950.25]
                curve.drawdown = [0, 0, 0.006996]
                return curve
            }()),
        GoldenVector("BacktestResult", backtestResult),
        GoldenVector("BacktestProgress", PulseV1.BacktestProgress(barsDone: 500_000, barsTotal: 1_000_000)),
        GoldenVector(
            "BacktestEvent.progress",
            PulseV1.BacktestEvent(.progress(PulseV1.BacktestProgress(barsDone: 0, barsTotal: 2148)))),
        GoldenVector(
            "BacktestEvent.result",
            {
                var result = PulseV1.BacktestResult()
                result.statistics = [PulseV1.Statistic(name: "# Trades", value: 0)]
                return PulseV1.BacktestEvent(.result(result))
            }()),
        GoldenVector("ParameterRange", PulseV1.ParameterRange(name: "fast", start: 5, stop: 30, step: 5)),
        GoldenVector("ParameterRange.values", PulseV1.ParameterRange(name: "slow", values: [20, 40, 80, 160.5])),
        GoldenVector(
            "OptimizeRequest",
            {
                var strategy = PulseV1.Strategy()
                strategy.name = "sma-cross"
                var base = PulseV1.BacktestRequest()
                base.symbols = ["GOOG"]
                base.strategy = strategy
                base.cash = 10000
                base.commission = 0.002
                var request = PulseV1.OptimizeRequest()
                request.base = base
                request.grid = [
                    PulseV1.ParameterRange(name: "fast", start: 5, stop: 30, step: 5),
                    PulseV1.ParameterRange(name: "slow", values: [20, 40, 60, 80]),
                ]
                request.maximize = "Sharpe Ratio"
                request.maxTries = 10
                request.randomSeed = 12_345_678_901_234_567_890
                request.includeDetails = true
                return request
            }()),
        GoldenVector(
            "OptimizeResult",
            {
                var result = PulseV1.OptimizeResult()
                result.parameters = [P(name: "fast", value: 10), P(name: "slow", value: 40)]
                result.score = 0.812
                result.completed = 7
                result.total = 24
                var run = PulseV1.BacktestResult()
                run.statistics = [PulseV1.Statistic(name: "Sharpe Ratio", value: 0.812)]
                result.result = run
                return result
            }()),
    ]

    static func trade(
        size: Double, bars: (UInt32, UInt32), times: (Int64, Int64) = (0, 0), prices: (Double, Double),
        pnl: Double = 0, returnFraction: Double = 0, commission: Double = 0, stopLoss: Double? = nil,
        takeProfit: Double? = nil
    ) -> PulseV1.Trade {
        var trade = PulseV1.Trade()
        trade.symbol = "GOOG"
        trade.size = size
        (trade.entryBar, trade.exitBar) = bars
        (trade.entryTimeMs, trade.exitTimeMs) = times
        (trade.entryPrice, trade.exitPrice) = prices
        trade.pnl = pnl
        trade.returnFraction = returnFraction
        trade.commission = commission
        trade.stopLoss = stopLoss
        trade.takeProfit = takeProfit
        return trade
    }

    static let backtestRequest: PulseV1.BacktestRequest = {
        var strategy = PulseV1.Strategy()
        strategy.name = "sma-cross"
        strategy.parameters = [P(name: "fast", value: 10), P(name: "slow", value: 20)]
        var rebalance = PulseV1.Rebalance()
        rebalance.period = .weekly
        var request = PulseV1.BacktestRequest()
        request.symbols = ["GOOG"]
        request.timeframe = PulseV1.Timeframe(1, .day)
        request.startTimeMs = 1_092_873_600_000
        request.endTimeMs = 1_367_280_000_000
        request.strategy = strategy
        request.cash = 10000
        request.commission = 0.002
        request.fixedCommission = 1.5
        request.slippage = 0.0005
        request.margin = 0.5
        request.sizing = PulseV1.Sizing(.equityFraction(0.9999))
        request.fractional = true
        request.orderType = .stopLimit
        request.limitOffset = 0.01
        request.stopOffset = 0.02
        request.tradeOnClose = true
        request.exclusiveOrders = true
        request.stopLoss = 0.05
        request.takeProfit = 0
        request.rebalance = rebalance
        request.riskFreeRate = 0.03
        request.finalizeTrades = true
        request.maxEquityPoints = 2000
        return request
    }()

    static let backtestResult: PulseV1.BacktestResult = {
        var result = PulseV1.BacktestResult()
        result.statistics = [
            PulseV1.Statistic(name: "Start", value: 1_092_873_600_000, kind: .timeMs),
            PulseV1.Statistic(name: "Equity Final [$]", value: 56263.52),
            PulseV1.Statistic(name: "Sharpe Ratio", value: 0.6007),
            PulseV1.Statistic(name: "Profit Factor", value: .nan),
            PulseV1.Statistic(name: "# Trades", value: 93),
        ]
        result.trades = [
            trade(
                size: 87, bars: (21, 34), prices: (113.72, 123.21), pnl: 780.1, returnFraction: 0.078, commission: 43.2)
        ]
        var curve = PulseV1.EquityCurve()
        curve.timeMs = [1_092_873_600_000, 1_092_960_000_000]
        curve.equity = [10000, 10020.5]
        curve.drawdown = [0, 0]
        result.equity = curve
        result.parameters = [P(name: "fast", value: 10), P(name: "slow", value: 20)]
        result.openTrades = [trade(size: -50, bars: (2140, 2147), prices: (780.0, 772.5))]
        return result
    }()
}
