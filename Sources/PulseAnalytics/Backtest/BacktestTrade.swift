/// One round trip in the trade log, with backtesting.py's `_trades` columns.
public struct BacktestTrade: Sendable, Equatable {
    /// Units traded: positive long, negative short.
    public var size: Double
    public var entryBar: Int
    public var exitBar: Int
    /// Entry fill price, slippage included.
    public var entryPrice: Double
    public var exitPrice: Double
    /// The stop-loss and take-profit prices attached to the trade when it closed, if any.
    public var stopLoss: Double?
    public var takeProfit: Double?
    /// Profit in cash, both commissions deducted.
    public var pnl: Double
    /// Return as a fraction of the entry value, commissions deducted (backtesting.py's `ReturnPct`).
    public var returnFraction: Double
    /// Entry plus exit commission.
    public var commission: Double
    /// Entry and exit bar times (seconds since the epoch) when the bars have timestamps.
    public var entryTime: Int64?
    public var exitTime: Int64?

    public var isLong: Bool { size > 0 }
}

/// The outcome of one backtest: the trade log, the equity curve and the statistics.
public struct BacktestResult: Sendable {
    /// Closed trades in the order they closed.
    public var trades: [BacktestTrade]
    /// A trade still open after the last bar (not counted in the statistics, as in backtesting.py without
    /// `finalize_trades`); its exit is the last close.
    public var openTrade: BacktestTrade?
    /// Account equity at each bar's close (cash plus open profit).
    public var equity: [Double]
    public var statistics: BacktestStatistics
}
