extension TA {
    /// OBV, On Balance Volume: starts at the first bar's volume, then adds the volume when the close rises,
    /// subtracts it when the close falls, and keeps it on ties. Lookback 0.
    public static func obv(close: [Double], volume: [Double]) throws(IndicatorError) -> [Double] {
        try OHLC.checkLengths([close.count, volume.count], function: "OBV")
        return AlignedOutput.make(count: close.count, begin: 0) { out in
            withBases(close, volume) { c, v in
                var s = OBVState()
                for i in 0..<close.count { out[i] = s.next(close: c[i], volume: v[i]) }
            }
        }
    }
}

/// Streaming OBV.
public struct OBVState: StreamingIndicator {
    private var obv = Double.nan
    private var prevClose = 0.0
    private var seen = false

    public init() {}

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(next(close: bar.close, volume: bar.volume))
    }

    @inline(__always)
    mutating func next(close: Double, volume: Double) -> Double {
        if !seen {
            obv = volume
        } else {
            // A select rather than branches: rises and falls are unpredictable.
            obv += close > prevClose ? volume : (close < prevClose ? -volume : 0)
        }
        seen = true
        prevClose = close
        return obv
    }
}
