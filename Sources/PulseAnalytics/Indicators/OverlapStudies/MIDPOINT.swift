extension TA {
    /// Midpoint over a period, TA-Lib's `MIDPOINT`: (highest + lowest)/2 of the last `period` values
    /// (lookback `period − 1`), with O(1) amortised monotonic windows.
    public static func midpoint(_ x: [Double], period: Int = 14) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, function: "MIDPOINT")
        return AlignedOutput.make(count: x.count, begin: period - 1) { out in
            withBase(x) { base in
                slidingExtremes(high: base, low: base, count: x.count, period: period) { i, highest, lowest in
                    out[i] = (highest + lowest) / 2.0
                }
            }
        }
    }
}

/// Streaming MIDPOINT, bit-identical to `TA.midpoint`.
struct MIDPOINTState: ValueStepper {
    private var extremes: SlidingExtremes

    init(period: Int) { extremes = SlidingExtremes(period: period) }

    mutating func step(_ x: Double) -> Double {
        extremes.push(high: x, low: x)
        guard extremes.isFull else { return .nan }
        return (extremes.highest + extremes.lowest) / 2.0
    }
}
