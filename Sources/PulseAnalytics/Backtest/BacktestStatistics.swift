#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The statistics of one backtest, with backtesting.py 0.6.6's definitions (`compute_stats` in its
/// `_stats.py`), risk-free rate 0. `nil` is "undefined" (NaN or infinite in backtesting.py).
///
/// Percentages are in percent (`returnPercent == 462.6` means +462.6 %). Durations are in days when the bars
/// have timestamps (rounded up to the data's resolution, as backtesting.py does), otherwise in bars. The
/// time-based statistics (annualised return, volatility, CAGR, Sharpe, Sortino, Calmar) need timestamps.
public struct BacktestStatistics: Sendable, Equatable {
    /// First and last bar time (seconds since the epoch), `nil` without timestamps.
    public var start: Int64?
    public var end: Int64?
    public var duration: Double
    public var exposureTimePercent: Double
    public var equityFinal: Double
    public var equityPeak: Double
    public var commissions: Double
    public var returnPercent: Double
    public var buyAndHoldReturnPercent: Double?
    public var annualReturnPercent: Double?
    public var annualVolatilityPercent: Double?
    public var cagrPercent: Double?
    public var sharpeRatio: Double?
    public var sortinoRatio: Double?
    public var calmarRatio: Double?
    public var alphaPercent: Double?
    public var beta: Double?
    public var maxDrawdownPercent: Double
    public var averageDrawdownPercent: Double?
    public var maxDrawdownDuration: Double?
    public var averageDrawdownDuration: Double?
    public var tradeCount: Int
    public var winRatePercent: Double?
    public var bestTradePercent: Double?
    public var worstTradePercent: Double?
    public var averageTradePercent: Double?
    public var maxTradeDuration: Double?
    public var averageTradeDuration: Double?
    public var profitFactor: Double?
    public var expectancyPercent: Double?
    public var sqn: Double?
    public var kellyCriterion: Double?

    /// Computes every statistic from the equity curve and the closed trades.
    /// - Parameter warmupBars: the strategy's warm-up; Buy & Hold starts at that bar.
    ///   - context: the bars' `StatisticsContext`, when several runs share the bars.
    public init(
        bars: BarSeries, equity: [Double], trades: [BacktestTrade], warmupBars: Int, context: StatisticsContext? = nil
    ) {
        precondition(!equity.isEmpty && equity.count == bars.count, "one equity value per bar")
        let n = equity.count
        let times = bars.timestamps
        let context = context ?? StatisticsContext(bars: bars, sharedByRuns: false)
        let calendar = context.calendar
        start = times?.first
        end = times?.last
        duration = times.map { Double($0[n - 1] - $0[0]) / 86_400 } ?? Double(n - 1)

        exposureTimePercent = Double(Self.barsInMarket(trades)) / Double(n) * 100
        equityFinal = equity[n - 1]
        equityPeak = equity.max() ?? .nan
        commissions = trades.reduce(0) { $0 + $1.commission }
        returnPercent = (equity[n - 1] - equity[0]) / equity[0] * 100
        let c = bars.close
        let first = min(max(0, warmupBars), n - 1)
        buyAndHoldReturnPercent = defined((c[n - 1] - c[first]) / c[first] * 100)

        let drawdown = DrawdownAnalysis(equity: equity, timestamps: times)
        maxDrawdownPercent = -drawdown.maximum * 100
        averageDrawdownPercent = defined(-drawdown.averagePeak * 100)
        maxDrawdownDuration = drawdown.maxDuration.map { calendar?.roundedDays($0) ?? $0 }
        averageDrawdownDuration = drawdown.averageDuration.map { calendar?.roundedDays($0) ?? $0 }

        if let calendar {
            let returns = context.periodReturns(equity)
            let g = geometricMean(returns)
            let d = calendar.annualPeriods
            let annualized = pow(1 + g, d) - 1
            annualReturnPercent = defined(annualized * 100)
            let variance = sampleVariance(returns)
            let volatility = (pow(variance + (1 + g) * (1 + g), d) - pow(1 + g, 2 * d)).squareRoot() * 100
            annualVolatilityPercent = defined(volatility)
            let years = duration / 365.25
            cagrPercent = years != 0 ? defined((pow(equityFinal / equity[0], 1 / years) - 1) * 100) : nil
            sharpeRatio = volatility != 0 ? defined(annualized * 100 / volatility) : nil
            let downside = returns.reduce(0.0) { $0 + min($1, 0) * min($1, 0) } / Double(returns.count)
            sortinoRatio = defined(annualized / (downside.squareRoot() * d.squareRoot()))
            calmarRatio = drawdown.maximum != 0 ? defined(annualized / drawdown.maximum) : nil
        }
        let betaValue = context.beta(equity, close: c)
        beta = defined(betaValue)
        alphaPercent = defined(returnPercent - betaValue * (buyAndHoldReturnPercent ?? .nan))

        tradeCount = trades.count
        let pnl = trades.map(\.pnl)
        let returns = trades.map(\.returnFraction)
        let winRate = trades.isEmpty ? Double.nan : Double(pnl.filter { $0 > 0 }.count) / Double(pnl.count)
        winRatePercent = defined(winRate * 100)
        bestTradePercent = returns.max().map { $0 * 100 }
        worstTradePercent = returns.min().map { $0 * 100 }
        averageTradePercent = defined(geometricMean(returns) * 100)
        if let times, !trades.isEmpty {
            let durations = trades.map { times[$0.exitBar] - times[$0.entryBar] }
            maxTradeDuration = calendar?.roundedDays(Double(durations.max()!))
            averageTradeDuration = calendar?.roundedDays(Double(durations.reduce(0, +)) / Double(durations.count))
        } else if !trades.isEmpty {
            let durations = trades.map { Double($0.exitBar - $0.entryBar) }
            maxTradeDuration = durations.max()
            averageTradeDuration = durations.reduce(0, +) / Double(durations.count)
        }
        let gains = returns.filter { $0 > 0 }.reduce(0, +)
        let losses = abs(returns.filter { $0 < 0 }.reduce(0, +))
        profitFactor = losses != 0 ? defined(gains / losses) : nil
        expectancyPercent = trades.isEmpty ? nil : defined(mean(returns) * 100)
        let deviation = sampleVariance(pnl).squareRoot()
        sqn = deviation != 0 ? defined(Double(pnl.count).squareRoot() * mean(pnl) / deviation) : nil
        let avgWin = mean(pnl.filter { $0 > 0 })
        let avgLoss = -mean(pnl.filter { $0 < 0 })
        kellyCriterion = defined(winRate - (1 - winRate) / (avgWin / avgLoss))
    }

    /// Bars covered by at least one trade, entry to exit bar inclusive (backtesting.py's `have_position`).
    static func barsInMarket(_ trades: [BacktestTrade]) -> Int {
        let spans = trades.map { ($0.entryBar, $0.exitBar) }.sorted { $0.0 < $1.0 }
        var covered = 0
        var end = -1  // last bar counted so far
        for (entry, exit) in spans where exit > end {
            covered += exit - max(entry, end + 1) + 1
            end = exit
        }
        return covered
    }
}

/// `2·atanh(z)` by its series up to z¹¹: `log(a/b)` for `z = (a − b)/(a + b)` when |z| < 0.05.
@inline(__always) func atanhSeries(_ z: Double) -> Double {
    let w = z * z
    return 2 * z * (1 + w * (1.0 / 3 + w * (1.0 / 5 + w * (1.0 / 7 + w * (1.0 / 9 + w * (1.0 / 11))))))
}

/// `log(a / b)`. For the moves between consecutive bars (|a/b − 1| below ~10 %) the series
/// `log(a/b) = 2·atanh(z) = 2(z + z³/3 + z⁵/5 + …)`, `z = (a − b)/(a + b)`, truncated after z¹¹ (remainder
/// below 2e-17 relative) is several times faster than `log` and needs no branch in practice.
@inline(__always) func logRatio(_ a: Double, _ b: Double) -> Double {
    let z = (a - b) / (a + b)
    guard abs(z) < 0.05 else { return log(a / b) }
    return atanhSeries(z)
}

/// A finite value, or nil for NaN and ±infinity (backtesting.py's undefined results).
@inline(__always) func defined(_ value: Double) -> Double? { value.isFinite ? value : nil }

func mean(_ values: [Double]) -> Double {
    values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
}

/// Variance with n − 1 degrees of freedom (NaN for fewer than two values).
func sampleVariance(_ values: [Double]) -> Double {
    guard values.count > 1 else { return .nan }
    let m = mean(values)
    return values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)
}

/// backtesting.py's `geometric_mean`: NaN counts as 0; 0 when any return is −100 % or worse.
func geometricMean(_ returns: [Double]) -> Double {
    guard !returns.isEmpty else { return .nan }
    var sum = 0.0
    for r in returns {
        let g = (r.isNaN ? 0 : r) + 1
        if g <= 0 { return 0 }
        sum += log(g)
    }
    return exp(sum / Double(returns.count)) - 1
}
