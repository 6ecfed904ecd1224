/// One statistic's value as reported: a number, a time, a count, or undefined.
public enum StatisticValue: Sendable, Equatable {
    case number(Double)
    /// Seconds since the epoch.
    case time(Int64)
    case count(Int)
    case undefined

    /// The value as a number (times as epoch seconds), nil when undefined.
    public var number: Double? {
        switch self {
        case .number(let v): return v.isFinite ? v : nil
        case .time(let t): return Double(t)
        case .count(let c): return Double(c)
        case .undefined: return nil
        }
    }
}

extension BacktestStatistics {
    /// Every statistic under backtesting.py's exact name, in its order.
    public static let names: [String] = [
        "Start", "End", "Duration", "Exposure Time [%]", "Equity Final [$]", "Equity Peak [$]", "Commissions [$]",
        "Return [%]", "Buy & Hold Return [%]", "Return (Ann.) [%]", "Volatility (Ann.) [%]", "CAGR [%]",
        "Sharpe Ratio", "Sortino Ratio", "Calmar Ratio", "Alpha [%]", "Beta", "Max. Drawdown [%]",
        "Avg. Drawdown [%]", "Max. Drawdown Duration", "Avg. Drawdown Duration", "# Trades", "Win Rate [%]",
        "Best Trade [%]", "Worst Trade [%]", "Avg. Trade [%]", "Max. Trade Duration", "Avg. Trade Duration",
        "Profit Factor", "Expectancy [%]", "SQN", "Kelly Criterion",
    ]

    /// Names of the statistics reported as durations (days with timestamps, bars without).
    public static let durationNames: Set<String> = [
        "Duration", "Max. Drawdown Duration", "Avg. Drawdown Duration", "Max. Trade Duration", "Avg. Trade Duration",
    ]

    /// Short names accepted for ranking (`--maximize sharpe`), mapped to the full names.
    public static let aliases: [String: String] = [
        "sharpe": "Sharpe Ratio", "sortino": "Sortino Ratio", "calmar": "Calmar Ratio", "return": "Return [%]",
        "equity": "Equity Final [$]", "sqn": "SQN", "cagr": "CAGR [%]", "win-rate": "Win Rate [%]",
        "profit-factor": "Profit Factor", "expectancy": "Expectancy [%]", "kelly": "Kelly Criterion",
        "alpha": "Alpha [%]", "max-drawdown": "Max. Drawdown [%]", "trades": "# Trades",
        "annual-return": "Return (Ann.) [%]", "exposure": "Exposure Time [%]", "avg-trade": "Avg. Trade [%]",
    ]

    /// The full name for a statistic given by full name (any case) or alias; nil when unknown.
    public static func resolveName(_ text: String) -> String? {
        let lowered = text.lowercased()
        if let alias = aliases[lowered] { return alias }
        return names.first { $0.lowercased() == lowered }
    }

    /// The statistic called `name` (an exact backtesting.py name); `.undefined` for unknown names.
    public func value(named name: String) -> StatisticValue {
        func n(_ v: Double?) -> StatisticValue { v.map { $0.isFinite ? .number($0) : .undefined } ?? .undefined }
        switch name {
        case "Start": return start.map { .time($0) } ?? .count(0)
        case "End": return end.map { .time($0) } ?? .count(Int(duration))
        case "Duration": return n(duration)
        case "Exposure Time [%]": return n(exposureTimePercent)
        case "Equity Final [$]": return n(equityFinal)
        case "Equity Peak [$]": return n(equityPeak)
        case "Commissions [$]": return n(commissions)
        case "Return [%]": return n(returnPercent)
        case "Buy & Hold Return [%]": return n(buyAndHoldReturnPercent)
        case "Return (Ann.) [%]": return n(annualReturnPercent)
        case "Volatility (Ann.) [%]": return n(annualVolatilityPercent)
        case "CAGR [%]": return n(cagrPercent)
        case "Sharpe Ratio": return n(sharpeRatio)
        case "Sortino Ratio": return n(sortinoRatio)
        case "Calmar Ratio": return n(calmarRatio)
        case "Alpha [%]": return n(alphaPercent)
        case "Beta": return n(beta)
        case "Max. Drawdown [%]": return n(maxDrawdownPercent)
        case "Avg. Drawdown [%]": return n(averageDrawdownPercent)
        case "Max. Drawdown Duration": return n(maxDrawdownDuration)
        case "Avg. Drawdown Duration": return n(averageDrawdownDuration)
        case "# Trades": return .count(tradeCount)
        case "Win Rate [%]": return n(winRatePercent)
        case "Best Trade [%]": return n(bestTradePercent)
        case "Worst Trade [%]": return n(worstTradePercent)
        case "Avg. Trade [%]": return n(averageTradePercent)
        case "Max. Trade Duration": return n(maxTradeDuration)
        case "Avg. Trade Duration": return n(averageTradeDuration)
        case "Profit Factor": return n(profitFactor)
        case "Expectancy [%]": return n(expectancyPercent)
        case "SQN": return n(sqn)
        case "Kelly Criterion": return n(kellyCriterion)
        default: return .undefined
        }
    }
}
