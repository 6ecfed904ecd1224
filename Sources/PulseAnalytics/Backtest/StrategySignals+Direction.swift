/// Which sides a backtest may trade.
public enum TradeDirection: String, Sendable, CaseIterable {
    case both, long, short
}

extension StrategySignals {
    /// The signals restricted to one side: for long-only, a short entry becomes a long exit (and a short exit
    /// is dropped); for short-only the reverse.
    public func restricted(to direction: TradeDirection) -> StrategySignals {
        var s = self
        switch direction {
        case .both: break
        case .long:
            for i in 0..<count where s.shortEntry[i] { s.longExit[i] = true }
            s.shortEntry = Array(repeating: false, count: count)
            s.shortExit = s.shortEntry
        case .short:
            for i in 0..<count where s.longEntry[i] { s.shortExit[i] = true }
            s.longEntry = Array(repeating: false, count: count)
            s.longExit = s.longEntry
        }
        return s
    }
}
