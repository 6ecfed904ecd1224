/// Bars resampled to a higher timeframe, with the mapping that keeps them honest: for each base bar, the
/// index of the last higher-timeframe bar that had completed by that base bar's close (−1 when none had), as
/// `Resampler.completedIndex` defines it.
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

/// The link to resampling: parses timeframe spellings and builds `TimeframeBars`.
enum HigherTimeframe {
    /// The timeframe spelled `text` (`1h`, `1d`, `1w`, `1mo`, …).
    static func parse(_ text: String, column: Int, source: String) throws(ExpressionError) -> Timeframe {
        do {
            return try Timeframe(text)
        } catch {
            throw ExpressionError(.timeframe, error.message, column: column, source: source)
        }
    }

    /// `base` resampled to `timeframe`, and each base bar's last completed higher bar.
    static func resample(_ base: BarSeries, to timeframe: Timeframe) throws(ExpressionError) -> TimeframeBars {
        do {
            let bars = try Resampler.resample(base, to: timeframe)
            let mapping = try Resampler.completedIndex(base, higher: timeframe)
            return TimeframeBars(bars: bars, baseToFrame: mapping)
        } catch {
            throw ExpressionError(.data, "'@\(timeframe)' needs bar times: \(error.message)")
        }
    }
}
