extension TA {
    /// TRANGE, True Range: the greatest of high − low, |previous close − high| and |previous close − low|.
    /// Lookback 1.
    public static func trange(high: [Double], low: [Double], close: [Double]) throws(IndicatorError) -> [Double] {
        try OHLC.checkLengths([high.count, low.count, close.count], function: "TRANGE")
        return AlignedOutput.make(count: close.count, begin: 1) { out in
            high.withUnsafeBufferPointer { h in
                low.withUnsafeBufferPointer { l in
                    close.withUnsafeBufferPointer { c in
                        for i in 1..<max(c.count, 1) {
                            out[i] = OHLC.trueRange(high: h[i], low: l[i], prevClose: c[i - 1])
                        }
                    }
                }
            }
        }
    }
}

/// Streaming TRANGE.
public struct TRANGEState: StreamingIndicator {
    private var prevClose = Double.nan
    private var seen = false

    public init() {}

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        defer { (prevClose, seen) = (bar.close, true) }
        guard seen else { return IndicatorOutput(.nan) }
        return IndicatorOutput(OHLC.trueRange(high: bar.high, low: bar.low, prevClose: prevClose))
    }
}
