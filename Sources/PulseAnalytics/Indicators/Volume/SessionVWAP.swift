extension TA {
    /// VWAP, session-anchored Volume-Weighted Average Price (not in TA-Lib):
    ///
    ///     VWAP = Σ(typical · volume) / Σ volume,   typical = (high + low + close)/3,
    ///
    /// summed from the first bar of the current US/Eastern trading session, which begins at each new calendar day
    /// in America/New_York (so pre- and post-market bars of a day belong to its session). NaN while the session's
    /// volume is still 0. Without timestamps (or with all 0) the whole series is one session. Lookback 0.
    public static func vwap(
        high: [Double], low: [Double], close: [Double], volume: [Double], timestamps: [Int64]?
    ) throws(IndicatorError) -> [Double] {
        try OHLC.checkLengths(
            [high.count, low.count, close.count, volume.count, timestamps?.count ?? close.count], function: "VWAP")
        let times = timestamps ?? [Int64](repeating: 0, count: close.count)
        return withBases(high, low, close, volume) { h, l, c, v in
            times.withUnsafeBufferPointer { t in
                AlignedOutput.make(count: close.count, begin: 0) { out in
                    var s = VWAPState()
                    for i in 0..<close.count {
                        out[i] = s.next(high: h[i], low: l[i], close: c[i], volume: v[i], timestamp: t[i])
                    }
                }
            }
        }
    }
}

/// Streaming session VWAP (see `TA.vwap`); reads `BarInput.timestamp`.
public struct VWAPState: StreamingIndicator {
    private var session = Int64.min
    private var priceVolume = 0.0
    private var volume = 0.0

    public init() {}

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(
            next(high: bar.high, low: bar.low, close: bar.close, volume: bar.volume, timestamp: bar.timestamp))
    }

    @inline(__always)
    mutating func next(high: Double, low: Double, close: Double, volume v: Double, timestamp: Int64) -> Double {
        let day = timestamp == 0 ? 0 : EasternTime.sessionDay(at: timestamp)
        if day != session {
            session = day
            priceVolume = 0
            volume = 0
        }
        let typical = (high + low + close) / 3
        priceVolume = priceVolume.addingProduct(typical, v)
        volume += v
        return volume == 0 ? .nan : priceVolume / volume
    }
}
