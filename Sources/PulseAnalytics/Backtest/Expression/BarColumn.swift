/// The series an expression can name directly.
enum BarColumn: String, CaseIterable, Sendable, Hashable {
    case open, high, low, close, volume
    /// (high + low) / 2
    case hl2
    /// (high + low + close) / 3
    case hlc3
    /// (open + high + low + close) / 4
    case ohlc4

    static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The column's values on `bars`.
    func values(of bars: BarSeries) throws(ExpressionError) -> [Double] {
        switch self {
        case .open: return bars.open
        case .high: return bars.high
        case .low: return bars.low
        case .close: return bars.close
        case .volume:
            guard let volume = bars.volume else {
                throw ExpressionError(.data, "'volume' is used but the bars have no volume column")
            }
            return volume
        case .hl2: return (0..<bars.count).map { i in (bars.high[i] + bars.low[i]) / 2 }
        case .hlc3:
            return (0..<bars.count).map { i -> Double in
                let sum: Double = bars.high[i] + bars.low[i] + bars.close[i]
                return sum / 3
            }
        case .ohlc4:
            return (0..<bars.count).map { i -> Double in
                let sum: Double = bars.open[i] + bars.high[i] + bars.low[i] + bars.close[i]
                return sum / 4
            }
        }
    }
}
