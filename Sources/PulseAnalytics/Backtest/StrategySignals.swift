/// What a strategy decided at each bar, the seam between the strategy language and the engine.
///
/// Bar `i`'s signals are known at bar `i`'s close (they may use bars `0...i` only); the engine acts on them
/// no earlier than bar `i + 1`'s open (or bar `i`'s close with `trade-on-close`). Every array has one entry per
/// bar of the series the signals were computed on.
///
/// Semantics (backtesting.py's `exclusive_orders=True`): a long entry closes any open position and places a
/// long order; a short entry does the same for a short order (a long entry wins when both fire on one bar).
/// An entry on the side already held is ignored unless `BacktestConfiguration.reenterOnRepeatedEntry`.
/// Otherwise a long exit closes an open long position (and cancels a pending long entry order), a short exit
/// an open short one.
///
/// ```swift
/// var signals = StrategySignals(count: bars.count)
/// signals.longEntry[12] = true
/// signals.warmupBars = 10  // first bar where every indicator is defined
/// ```
public struct StrategySignals: Sendable, Equatable {
    public var longEntry: [Bool]
    public var longExit: [Bool]
    public var shortEntry: [Bool]
    public var shortExit: [Bool]
    /// Index of the first bar at which every indicator the strategy reads is defined (not NaN), as
    /// backtesting.py's `_indicator_warmup_nbars`: the engine starts acting at bar `warmupBars + 1`, and
    /// Buy & Hold is measured from bar `warmupBars`.
    public var warmupBars: Int
    /// Optional per-bar prices for the order an entry signal places; `nil` arrays mean market orders
    /// without brackets.
    public var orders: OrderInstructions?

    /// Signals for `count` bars, all false, no warm-up.
    public init(count: Int) {
        longEntry = Array(repeating: false, count: count)
        longExit = longEntry
        shortEntry = longEntry
        shortExit = longEntry
        warmupBars = 0
        orders = nil
    }

    public init(
        longEntry: [Bool], longExit: [Bool], shortEntry: [Bool], shortExit: [Bool], warmupBars: Int,
        orders: OrderInstructions? = nil
    ) {
        precondition(
            longExit.count == longEntry.count && shortEntry.count == longEntry.count
                && shortExit.count == longEntry.count, "StrategySignals arrays must have equal lengths")
        self.longEntry = longEntry
        self.longExit = longExit
        self.shortEntry = shortEntry
        self.shortExit = shortExit
        self.warmupBars = warmupBars
        self.orders = orders
    }

    /// Number of bars the signals cover.
    public var count: Int { longEntry.count }
}

/// Per-bar order prices for the entry placed at that bar (NaN = not set at that bar). Absolute prices, as
/// backtesting.py's `buy(limit=, stop=, sl=, tp=)`.
///
/// - `limit` only: a limit order; `stop` only: a stop (market-if-touched) order; both: a stop-limit order.
/// - `stopLoss` / `takeProfit`: bracket orders attached to the trade the entry opens.
public struct OrderInstructions: Sendable, Equatable {
    public var limit: [Double]?
    public var stop: [Double]?
    public var stopLoss: [Double]?
    public var takeProfit: [Double]?

    public init(
        limit: [Double]? = nil, stop: [Double]? = nil, stopLoss: [Double]? = nil, takeProfit: [Double]? = nil
    ) {
        self.limit = limit
        self.stop = stop
        self.stopLoss = stopLoss
        self.takeProfit = takeProfit
    }
}
