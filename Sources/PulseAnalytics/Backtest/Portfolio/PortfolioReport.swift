extension BacktestReport {
    /// A portfolio result as JSON: `{"symbols", "stats", "trades" (each with "Symbol"), "open_units",
    /// "equity"}`, statistics as for one symbol (Buy & Hold, Alpha and Beta against the equal-weight index).
    public static func json(_ r: PortfolioResult) -> String {
        var out = "{\"symbols\":[" + r.symbols.map(string).joined(separator: ",") + "]"
        out += ",\"stats\":" + statsJSON(r.statistics) + ",\"trades\":["
        for (k, entry) in r.trades.enumerated() {
            if k > 0 { out += "," }
            let trade = tradeJSON(entry.trade, bars: r.timeline)
            out += "{\"Symbol\":" + string(r.symbols[entry.symbol]) + "," + trade.dropFirst()
        }
        out += "],\"open_units\":{"
        out += zip(r.symbols, r.openUnits).map { string($0) + ":" + number($1) }.joined(separator: ",")
        out += "},\"equity\":["
        var peak = -Double.infinity
        for i in r.equity.indices {
            if i > 0 { out += "," }
            let e = r.equity[i]
            peak = max(peak, e)
            out +=
                "{\"time\":" + timeJSON(r.timeline, i) + ",\"equity\":" + number(e) + ",\"drawdown_pct\":"
                + number((1 - e / peak) * 100) + "}"
        }
        return out + "]}"
    }
}
