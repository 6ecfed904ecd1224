extension TA {
    /// MIDPRICE, Midpoint Price: (highest high + lowest low)/2 over N bars. Lookback N−1.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public static func midprice(high: [Double], low: [Double], timePeriod: Int = 14) throws(IndicatorError) -> [Double]
    {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "MIDPRICE")
        try OHLC.checkLengths([high.count, low.count], function: "MIDPRICE")
        let n = high.count
        return AlignedOutput.make(count: n, begin: timePeriod - 1) { out in
            withBases(high, low) { h, l in
                TA.slidingExtremes(high: h, low: l, count: n, period: timePeriod) { i, highest, lowest in
                    out[i] = MIDPRICEState.value(highest: highest, lowest: lowest)
                }
            }
        }
    }
}

/// Streaming MIDPRICE.
public struct MIDPRICEState: StreamingIndicator {
    private var range: PriceRangeWindow

    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public init(timePeriod: Int = 14) throws(IndicatorError) {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "MIDPRICE")
        range = PriceRangeWindow(period: timePeriod)
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(next(high: bar.high, low: bar.low))
    }

    @inline(__always)
    mutating func next(high: Double, low: Double) -> Double {
        guard let window = range.push(high: high, low: low) else { return .nan }
        return Self.value(highest: window.highest, lowest: window.lowest)
    }

    @inline(__always)
    static func value(highest: Double, lowest: Double) -> Double { (highest + lowest) / 2.0 }
}
