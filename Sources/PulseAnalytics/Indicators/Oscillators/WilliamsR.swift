extension TA {
    /// WILLR, Williams' %R: −100 · (highest high − close) / (highest high − lowest low) over N bars, 0 when the
    /// range is zero. Lookback N−1.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public static func willr(
        high: [Double], low: [Double], close: [Double], timePeriod: Int = 14
    ) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "WILLR")
        try OHLC.checkLengths([high.count, low.count, close.count], function: "WILLR")
        let n = close.count
        return AlignedOutput.make(count: n, begin: timePeriod - 1) { out in
            withBases(high, low, close) { h, l, c in
                TA.slidingExtremes(high: h, low: l, count: n, period: timePeriod) { i, highest, lowest in
                    out[i] = WILLRState.value(close: c[i], highest: highest, lowest: lowest)
                }
            }
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
        return Self.value(close: close, highest: window.highest, lowest: window.lowest)
    }

    /// TA-Lib 0.8's %R: 0 when the range is negligible against the prices (|HH − LL| ≤ 1e-14·(|HH| + |LL|)), and
    /// clamped to [−100, 0] (a close outside the window's range).
    @inline(__always)
    static func value(close: Double, highest: Double, lowest: Double) -> Double {
        let diff = highest - lowest
        if abs(diff) <= 1e-14 * (abs(highest) + abs(lowest)) { return 0 }
        let value = (highest - close) / diff * -100.0
        return value > 0 ? 0 : (-100.0 > value ? -100.0 : value)
    }
}
