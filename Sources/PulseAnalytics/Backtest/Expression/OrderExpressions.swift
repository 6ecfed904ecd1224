/// Price levels for the orders a strategy's entries place, as expressions evaluated at the entry bar's close
/// (series or numbers; NaN means "not set" on that bar). They become `StrategySignals.orders`.
///
/// ```swift
/// let strategy = try Strategy.compile(
///     entry: "crossover(close, sma(close, 20))",
///     orders: OrderExpressions(stopLoss: "close - 2 * atr(14)", takeProfit: "close + 3 * atr(14)"))
/// ```
public struct OrderExpressions: Sendable, Equatable {
    /// Limit price: the entry becomes a limit order (with `stop`, a stop-limit order).
    public var limit: String?
    /// Stop price: the entry becomes a stop order (with `limit`, a stop-limit order).
    public var stop: String?
    /// Stop-loss level attached to the trade the entry opens.
    public var stopLoss: String?
    /// Take-profit level attached to the trade the entry opens.
    public var takeProfit: String?

    /// Any subset of the four prices; nil ones are not set.
    public init(limit: String? = nil, stop: String? = nil, stopLoss: String? = nil, takeProfit: String? = nil) {
        self.limit = limit
        self.stop = stop
        self.stopLoss = stopLoss
        self.takeProfit = takeProfit
    }

    var all: [(role: String, text: String?)] {
        [("limit price", limit), ("stop price", stop), ("stop-loss", stopLoss), ("take-profit", takeProfit)]
    }

    var isEmpty: Bool { all.allSatisfy { $0.text == nil } }
}
