extension TA {
    /// ULTOSC, Ultimate Oscillator: with buying pressure bp = close − min(low, previous close) and the true
    /// range tr, 100 · (4·A₁ + 2·A₂ + A₃)/7 where Aₖ = Σbp/Σtr over the k-th shortest period (a term is dropped
    /// when its Σtr is 0). The three periods are sorted first, as TA-Lib does. Lookback: the longest period.
    /// - Throws: `IndicatorError` unless every period is in 1...100000.
    public static func ultosc(
        high: [Double], low: [Double], close: [Double], timePeriod1: Int = 7, timePeriod2: Int = 14,
        timePeriod3: Int = 28
    ) throws(IndicatorError) -> [Double] {
        var state = try ULTOSCState(timePeriod1: timePeriod1, timePeriod2: timePeriod2, timePeriod3: timePeriod3)
        try OHLC.checkLengths([high.count, low.count, close.count], function: "ULTOSC")
        return AlignedOutput.make(count: close.count, begin: 0) { out in
            for i in 0..<close.count { out[i] = state.next(high: high[i], low: low[i], close: close[i]) }
        }
    }
}

/// Streaming ULTOSC: running sums over the three windows, with rings of the last terms to subtract.
public struct ULTOSCState: StreamingIndicator {
    /// The periods, shortest first.
    private let periods: [Int]
    /// The last `periods[2]` buying pressures and true ranges, at slot i mod longest.
    private var pressure: [Double]
    private var range: [Double]
    private var sumsP = [0.0, 0.0, 0.0]
    private var sumsR = [0.0, 0.0, 0.0]
    private var count = 0
    private var prevClose = 0.0

    /// - Throws: `IndicatorError` unless every period is in 1...100000.
    public init(timePeriod1: Int = 7, timePeriod2: Int = 14, timePeriod3: Int = 28) throws(IndicatorError) {
        try ParameterCheck.period(timePeriod1, "timeperiod1", in: 1...100_000, function: "ULTOSC")
        try ParameterCheck.period(timePeriod2, "timeperiod2", in: 1...100_000, function: "ULTOSC")
        try ParameterCheck.period(timePeriod3, "timeperiod3", in: 1...100_000, function: "ULTOSC")
        periods = [timePeriod1, timePeriod2, timePeriod3].sorted()
        pressure = [Double](repeating: 0, count: periods[2] + 1)
        range = [Double](repeating: 0, count: periods[2] + 1)
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(next(high: bar.high, low: bar.low, close: bar.close))
    }

    mutating func next(high: Double, low: Double, close: Double) -> Double {
        defer {
            prevClose = close
            count += 1
        }
        let i = count
        guard i > 0 else { return .nan }
        let slots = pressure.count
        let bp = close - min(low, prevClose)
        let tr = OHLC.trueRange(high: high, low: low, prevClose: prevClose)
        pressure[i % slots] = bp
        range[i % slots] = tr
        let longest = periods[2]
        if i < longest {
            // Prime each window's sums with the bars before its first full window ends at `longest`.
            for k in 0..<3 where i > longest - periods[k] {
                sumsP[k] += bp
                sumsR[k] += tr
            }
            return .nan
        }
        var output = 0.0
        let weights = [4.0, 2.0, 1.0]
        for k in 0..<3 {
            sumsP[k] += bp
            sumsR[k] += tr
            if sumsR[k] != 0 {
                let ratio = sumsP[k] / sumsR[k]
                output += k == 2 ? ratio : weights[k] * ratio
            }
        }
        for k in 0..<3 {
            // Remove the oldest bar of each window before the next bar arrives.
            let oldest = (i - periods[k] + 1) % slots
            sumsP[k] -= pressure[oldest]
            sumsR[k] -= range[oldest]
        }
        return 100.0 * (output / 7.0)
    }
}
