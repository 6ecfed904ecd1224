extension TA {
    /// WILLR, Williams' %R: −100 · (highest high − close) / (highest high − lowest low) over N bars, 0 when the
    /// range is zero. Lookback N−1.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public static func willr(
        high: [Double], low: [Double], close: [Double], timePeriod: Int = 14
    ) throws(IndicatorError) -> [Double] {
        var state = try WILLRState(timePeriod: timePeriod)
        try OHLC.checkLengths([high.count, low.count, close.count], function: "WILLR")
        return AlignedOutput.make(count: close.count, begin: 0) { out in
            for i in 0..<close.count { out[i] = state.next(high: high[i], low: low[i], close: close[i]) }
        }
    }
}

/// Streaming WILLR.
public struct WILLRState: StreamingIndicator {
    private var range: PriceRangeWindow

    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public init(timePeriod: Int = 14) throws(IndicatorError) {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "WILLR")
        range = PriceRangeWindow(period: timePeriod)
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(next(high: bar.high, low: bar.low, close: bar.close))
    }

    @inline(__always)
    mutating func next(high: Double, low: Double, close: Double) -> Double {
        guard let window = range.push(high: high, low: low) else { return .nan }
        let diff = window.highest - window.lowest
        if abs(diff) <= 1e-14 * (abs(window.highest) + abs(window.lowest)) { return 0 }
        return (window.highest - close) / diff * -100.0
    }
}
