/// Renders backtest results as JSON or text for the CLI and the service.
///
/// JSON: `{"stats": {name: value…}, "trades": […], "equity": […]}` (plus `"results"` for optimisations, see
/// `OptimizationReport`). Statistics appear under backtesting.py's names; numbers are JSON numbers, undefined
/// values `null`, `Start`/`End` ISO 8601 text, durations days (fractional).
public enum BacktestReport {
    /// The whole result as one JSON object.
    public static func json(_ result: BacktestResult, bars: BarSeries, extra: [(String, String)] = []) -> String {
        var out = "{\"stats\":" + statsJSON(result.statistics)
        out += ",\"trades\":["
        for (k, t) in result.trades.enumerated() {
            if k > 0 { out += "," }
            out += tradeJSON(t, bars: bars)
        }
        out += "],\"open_trade\":" + (result.openTrade.map { tradeJSON($0, bars: bars) } ?? "null")
        out += ",\"equity\":["
        var peak = -Double.infinity
        for i in result.equity.indices {
            if i > 0 { out += "," }
            let e = result.equity[i]
            peak = max(peak, e)
            out +=
                "{\"time\":" + timeJSON(bars, i) + ",\"equity\":" + number(e) + ",\"drawdown_pct\":"
                + number((1 - e / peak) * 100) + "}"
        }
        out += "]"
        for (key, raw) in extra { out += "," + string(key) + ":" + raw }
        return out + "}"
    }

    /// The statistics object alone.
    public static func statsJSON(_ s: BacktestStatistics) -> String {
        var out = "{"
        for (k, name) in BacktestStatistics.names.enumerated() {
            if k > 0 { out += "," }
            out += string(name) + ":" + valueJSON(s.value(named: name))
        }
        return out + "}"
    }

    static func valueJSON(_ v: StatisticValue) -> String {
        switch v {
        case .number(let d): return number(d)
        case .time(let t): return string(TimestampParser.iso8601(t))
        case .count(let c): return String(c)
        case .undefined: return "null"
        }
    }

    static func tradeJSON(_ t: BacktestTrade, bars: BarSeries) -> String {
        var out = "{\"Size\":" + number(t.size) + ",\"EntryBar\":\(t.entryBar),\"ExitBar\":\(t.exitBar)"
        out += ",\"EntryPrice\":" + number(t.entryPrice) + ",\"ExitPrice\":" + number(t.exitPrice)
        out += ",\"SL\":" + optional(t.stopLoss) + ",\"TP\":" + optional(t.takeProfit)
        out += ",\"PnL\":" + number(t.pnl) + ",\"ReturnPct\":" + number(t.returnFraction)
        out += ",\"Commission\":" + number(t.commission)
        out += ",\"EntryTime\":" + timeJSON(bars, t.entryBar) + ",\"ExitTime\":" + timeJSON(bars, t.exitBar)
        if let a = t.entryTime, let b = t.exitTime {
            out += ",\"Duration\":" + number(Double(b - a) / 86_400)
        } else {
            out += ",\"Duration\":\(t.exitBar - t.entryBar)"
        }
        return out + "}"
    }

    static func timeJSON(_ bars: BarSeries, _ i: Int) -> String {
        if let times = bars.timestamps { return string(TimestampParser.iso8601(times[i])) }
        return string(bars.labels[i])
    }

    static func optional(_ v: Double?) -> String { v.map(number) ?? "null" }

    /// A JSON number, `null` when not finite.
    public static func number(_ v: Double) -> String {
        v.isFinite ? "\(v)" : "null"
    }

    /// A JSON string literal.
    public static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// The statistics as aligned `name  value` lines, as backtesting.py prints them.
    public static func text(_ result: BacktestResult) -> String { text(statistics: result.statistics) }

    /// The statistics as aligned `name  value` lines.
    public static func text(statistics s: BacktestStatistics) -> String {
        let width = BacktestStatistics.names.map(\.count).max() ?? 0
        var out = ""
        for name in BacktestStatistics.names {
            let value: String
            switch s.value(named: name) {
            case .number(let d):
                value =
                    BacktestStatistics.durationNames.contains(name)
                    ? (s.start == nil ? "\(d) bars" : "\(formatted(d)) days") : formatted(d)
            case .time(let t): value = TimestampParser.iso8601(t)
            case .count(let c): value = String(c)
            case .undefined: value = "--"
            }
            out += name + String(repeating: " ", count: width - name.count + 2) + value + "\n"
        }
        return out
    }

    /// Five significant decimals, like pandas' display precision.
    static func formatted(_ d: Double) -> String {
        let scaled = (d * 100_000).rounded() / 100_000
        return "\(scaled)"
    }
}
