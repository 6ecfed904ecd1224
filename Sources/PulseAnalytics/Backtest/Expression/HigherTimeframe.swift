/// Bars resampled to a higher timeframe, with the mapping that keeps them honest: for each base bar, the
/// index of the last higher-timeframe bar that had completed by that base bar's close (−1 when none had).
struct TimeframeBars: Sendable {
    let bars: BarSeries
    let baseToFrame: [Int]

    var count: Int { bars.count }

    /// A higher-timeframe value seen from the base bars: NaN (false for conditions) before the first
    /// completed higher-timeframe bar.
    func carryToBase(_ value: RuntimeValue) -> RuntimeValue {
        switch value {
        case .number: return value
        case .series(let values): return .series(baseToFrame.map { $0 >= 0 ? values[$0] : .nan })
        case .condition(let flags): return .condition(baseToFrame.map { $0 >= 0 ? flags[$0] : false })
        }
    }
}

/// The link to resampling: checks timeframe spellings and builds `TimeframeBars`.
enum HigherTimeframe {
    static func validate(_ text: String, column: Int, source: String) throws(ExpressionError) {
        // TEMPORARY until Timeframe lands on main.
        throw ExpressionError(.timeframe, "higher timeframes are not available yet", column: column, source: source)
    }

    static func resample(_ base: BarSeries, to text: String) throws(ExpressionError) -> TimeframeBars {
        throw ExpressionError(.timeframe, "higher timeframes are not available yet")
    }
}
