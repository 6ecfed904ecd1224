/// The broker settings of one backtest: cash, costs, sizing, fills and protective stops.
///
/// Defaults are backtesting.py 0.6.6's: next-open fills, whole units, `1 − ε` of available equity per entry,
/// no costs, no leverage.
public struct BacktestConfiguration: Sendable, Equatable {
    /// Starting cash; must be positive.
    public var cash: Double = 10_000
    /// Commission as a fraction of traded value, charged on entry and on exit (backtesting.py's
    /// `commission=`); in `[-0.1, 0.1)`, negative for rebates.
    public var commission: Double = 0
    /// Fixed commission in cash per order, on entry and on exit (backtesting.py's `commission=(fixed, rel)`).
    public var fixedCommission: Double = 0
    /// Slippage as a fraction of price, applied against the trader on entry fills (backtesting.py's `spread=`,
    /// which, like here, fills exits at the unadjusted price).
    public var spread: Double = 0
    /// Margin requirement in `(0, 1]`; leverage is `1 / margin`.
    public var margin: Double = 1
    /// Fill market orders at the signal bar's close instead of the next bar's open.
    public var tradeOnClose = false
    /// How many units an entry buys or sells.
    public var sizing: PositionSizing = .equityFraction(1 - Double.ulpOfOne)
    /// Allow fractional units (otherwise sizes are whole units, rounded down).
    public var fractional = false
    /// Stop-loss distance from the signal bar's close as a fraction (0.05 = 5 %), attached to every entry
    /// unless the signals give an explicit stop-loss price for that bar.
    public var stopLossFraction: Double?
    /// Take-profit distance from the signal bar's close as a fraction.
    public var takeProfitFraction: Double?
    /// Trailing stop: at each bar's close the stop-loss of an open trade is raised (long) or lowered (short)
    /// to this fraction away from the close, never loosened.
    public var trailingStopFraction: Double?
    /// What an entry signal does while a position (or pending entry) on the same side exists: false (the default)
    /// keeps it, so level conditions such as `rsi(close, 14) < 30` hold one trade; true closes and re-opens, as
    /// a backtesting.py strategy that calls `buy()` on every such bar does.
    public var reenterOnRepeatedEntry = false
    /// Close a trade still open after the last bar so it counts in the statistics (backtesting.py's
    /// `finalize_trades=True`: filled with the last bar's prices, at its open).
    public var finalizeTrades = false

    public init() {}

    /// Checks every setting, naming the first bad one.
    public func validate() throws(BacktestError) {
        guard cash > 0, cash.isFinite else { throw BacktestError(.invalidConfiguration, "cash must be positive") }
        guard margin > 0, margin <= 1 else {
            throw BacktestError(.invalidConfiguration, "margin must be in (0, 1] (leverage = 1/margin), got \(margin)")
        }
        guard commission >= -0.1, commission < 0.1 else {
            throw BacktestError(
                .invalidConfiguration, "commission must be a fraction in [-0.1, 0.1), got \(commission)")
        }
        guard fixedCommission >= 0, fixedCommission.isFinite else {
            throw BacktestError(.invalidConfiguration, "fixed commission must be >= 0")
        }
        guard spread >= 0, spread < 1 else {
            throw BacktestError(.invalidConfiguration, "slippage must be a fraction in [0, 1), got \(spread)")
        }
        switch sizing {
        case .equityFraction(let f):
            guard f > 0, f <= 1 else {
                throw BacktestError(.invalidConfiguration, "size as a fraction of equity must be in (0, 1], got \(f)")
            }
        case .units(let u):
            guard u > 0, u.isFinite, fractional || u.rounded() == u else {
                throw BacktestError(
                    .invalidConfiguration, "size in units must be positive (and whole unless fractional), got \(u)")
            }
        case .cash(let c):
            guard c > 0, c.isFinite else {
                throw BacktestError(.invalidConfiguration, "size in cash must be positive, got \(c)")
            }
        }
        for (name, value) in [
            ("stop-loss", stopLossFraction), ("take-profit", takeProfitFraction),
            ("trailing stop", trailingStopFraction),
        ] {
            if let value, !(value > 0 && value < 1) {
                throw BacktestError(.invalidConfiguration, "\(name) must be a fraction in (0, 1), got \(value)")
            }
        }
    }
}

/// How many units an entry order trades.
public enum PositionSizing: Sendable, Equatable {
    /// A fraction of available margin × leverage, after costs (backtesting.py's `size=0.5`).
    case equityFraction(Double)
    /// A fixed number of units.
    case units(Double)
    /// As many units as this much cash buys, after costs.
    case cash(Double)
}
