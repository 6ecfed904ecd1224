extension TA {
    /// BOP, Balance Of Power: (close − open)/(high − low), 0 when the range is below 1e-8 (TA-Lib's rule).
    /// Lookback 0.
    public static func bop(
        open: [Double], high: [Double], low: [Double], close: [Double]
    ) throws(IndicatorError) -> [Double] {
        try OHLC.checkLengths([open.count, high.count, low.count, close.count], function: "BOP")
        return OHLC.output(close.count) { out in
            for i in 0..<close.count {
                out[i] = BOPState.value(open: open[i], high: high[i], low: low[i], close: close[i])
            }
        }
    }
}

/// Streaming BOP.
public struct BOPState: StreamingIndicator {
    public init() {}

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(Self.value(open: bar.open, high: bar.high, low: bar.low, close: bar.close))
    }

    @inline(__always)
    static func value(open: Double, high: Double, low: Double, close: Double) -> Double {
        let range = high - low
        return range < 0.000_000_01 ? 0 : (close - open) / range
    }
}
