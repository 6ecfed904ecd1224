extension BacktestConfiguration {
    /// A checked configuration from the settings a caller gives (`pulse backtest`'s flags, an RPC
    /// `BacktestRequest`), so every front end maps them the same way.
    ///
    /// - Parameters:
    ///   - sizing: nil for backtesting.py's default (`1 − ε` of available equity).
    ///   - reenter: nil for the strategy's own default (`StrategyFactory.reentersByDefault`).
    ///   - strategy, expressions: the strategy the settings are for, which gives the re-entry default.
    /// - Throws: `BacktestError` naming the first setting out of range.
    public init(
        cash: Double = 10_000, commission: Double = 0, fixedCommission: Double = 0, slippage: Double = 0,
        margin: Double = 1, tradeOnClose: Bool = false, fractional: Bool = false, sizing: PositionSizing? = nil,
        reenter: Bool? = nil, strategy: String, expressions: [String?], finalizeTrades: Bool = false,
        stopLoss: Double? = nil, takeProfit: Double? = nil, trailingStop: Double? = nil
    ) throws(BacktestError) {
        self.init()
        self.cash = cash
        self.commission = commission
        self.fixedCommission = fixedCommission
        spread = slippage
        self.margin = margin
        self.tradeOnClose = tradeOnClose
        self.fractional = fractional
        reenterOnRepeatedEntry = reenter ?? StrategyFactory.reentersByDefault(name: strategy, expressions: expressions)
        self.finalizeTrades = finalizeTrades
        stopLossFraction = stopLoss
        takeProfitFraction = takeProfit
        trailingStopFraction = trailingStop
        if let sizing { self.sizing = sizing }
        try validate()
    }
}

extension PortfolioConfiguration {
    /// The portfolio settings of a single-symbol configuration: cash, commissions, slippage and fractional units
    /// carry over (portfolios size by their weights and fill at each symbol's next open).
    public init(_ single: BacktestConfiguration) {
        self.init()
        cash = single.cash
        commission = single.commission
        fixedCommission = single.fixedCommission
        spread = single.spread
        fractional = single.fractional
    }
}
