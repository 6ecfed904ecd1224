extension TA {
    /// BOP, Balance Of Power: (close − open)/(high − low), 0 when the range is not positive
    /// (TA-Lib 0.8; 0.6 used 1e-8, which zeroed every bar of low-priced instruments).
    /// Lookback 0.
    public static func bop(
        open: [Double], high: [Double], low: [Double], close: [Double]
    ) throws(IndicatorError) -> [Double] {
        try OHLC.checkLengths([open.count, high.count, low.count, close.count], function: "BOP")
        return AlignedOutput.make(count: close.count, begin: 0) { out in
            withBases(open, high, low, close) { o, h, l, c in
                for i in 0..<close.count { out[i] = BOPState.value(open: o[i], high: h[i], low: l[i], close: c[i]) }
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
        return range <= 0 ? 0 : (close - open) / range
    }
}
