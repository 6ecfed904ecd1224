/// One symbol of a portfolio backtest: its name and its own bars (with timestamps; calendars may differ).
public struct PortfolioAsset: Sendable {
    public var symbol: String
    public var bars: BarSeries

    public init(symbol: String, bars: BarSeries) {
        self.symbol = symbol
        self.bars = bars
    }
}

/// How a portfolio decides each symbol's share of equity.
public enum AllocationRule: Sendable {
    /// The same share for every symbol (1/N), long.
    case equal
    /// Fixed shares by symbol (negative for short); symbols not named get 0.
    case fixed([String: Double])
    /// Each symbol trades its own signals (one `StrategySignals` per asset, same order): long from a long entry
    /// to a long exit (or a short entry), short likewise; the symbols holding a position share equity equally.
    case signals([StrategySignals])
    /// Weights from a score per symbol and bar (one series per asset, same order, aligned with its bars):
    /// at each decision the symbols' latest positive scores, normalised to sum to 1 (NaN or ≤ 0 gets nothing).
    case scores([[Double]])
}

/// When a portfolio trades towards its target weights. Decisions are taken at a bar's close (on the combined
/// timeline) and fill at each symbol's next bar open.
public enum RebalanceSchedule: String, Sendable, CaseIterable {
    /// Whenever a target weight changes (signal-driven portfolios).
    case onChange = "on-change"
    /// At the first bar of each new calendar day, week (Monday to Sunday) or month, and at the first bar.
    case daily, weekly, monthly
}

/// Broker settings of a portfolio backtest.
public struct PortfolioConfiguration: Sendable, Equatable {
    /// Starting cash, shared by every symbol.
    public var cash: Double = 10_000
    /// Commission as a fraction of traded value, on every fill.
    public var commission: Double = 0
    /// Fixed commission per fill.
    public var fixedCommission: Double = 0
    /// Slippage as a fraction of price against the trader, on every fill (buys higher, sells lower).
    public var spread: Double = 0
    /// Allow fractional units.
    public var fractional = false
    /// Bars of the combined timeline before the first decision (indicator warm-up).
    public var warmupBars = 0

    public init() {}
}

/// A portfolio backtest's outcome: the combined timeline, equity, closed trades (each reduction of a position is
/// one trade, as backtesting.py records partial closes) and statistics.
public struct PortfolioResult: Sendable {
    /// The combined timeline (every time at which any symbol has a bar), as bars of an equal-weight index of
    /// the symbols (each normalised to 1 at its first bar): Buy & Hold, Alpha and Beta refer to that index.
    public var timeline: BarSeries
    public var symbols: [String]
    public var equity: [Double]
    /// Closed trades; `entryBar`/`exitBar` index the combined timeline.
    public var trades: [(symbol: Int, trade: BacktestTrade)]
    /// Positions still open at the end, units by symbol.
    public var openUnits: [Double]
    public var statistics: BacktestStatistics
}
