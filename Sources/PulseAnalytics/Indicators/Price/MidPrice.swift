extension TA {
    /// MIDPRICE, Midpoint Price: (highest high + lowest low)/2 over N bars. Lookback N−1.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public static func midprice(high: [Double], low: [Double], timePeriod: Int = 14) throws(IndicatorError) -> [Double]
    {
        var state = try MIDPRICEState(timePeriod: timePeriod)
        try OHLC.checkLengths([high.count, low.count], function: "MIDPRICE")
        return AlignedOutput.make(count: high.count, begin: 0) { out in
            for i in 0..<high.count { out[i] = state.next(high: high[i], low: low[i]) }
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
        return (window.highest + window.lowest) / 2.0
    }
}
