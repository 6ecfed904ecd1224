extension TA {
    /// AROON: over the last N+1 bars, aroonup = 100/N · (N − bars since the highest high) and aroondown likewise
    /// with the lowest low (the latest bar wins ties, as in TA-Lib). Lookback N.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public static func aroon(
        high: [Double], low: [Double], timePeriod: Int = 14
    ) throws(IndicatorError) -> (aroonDown: [Double], aroonUp: [Double]) {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "AROON")
        try OHLC.checkLengths([high.count, low.count], function: "AROON")
        let n = high.count
        let (down, up) = OHLC.output2(count: n, begin: timePeriod) { downOut, upOut in
            withBases(high, low) { h, l in
                ExtremeScan.run(high: h, low: l, count: n, window: timePeriod + 1) { i, hi, lo in
                    downOut[i] = AroonState.value(period: timePeriod, today: i, extremeIndex: lo)
                    upOut[i] = AroonState.value(period: timePeriod, today: i, extremeIndex: hi)
                }
            }
        }
        return (down, up)
    }

    /// AROONOSC, Aroon Oscillator: 100/N · (index of the highest high − index of the lowest low) over the last
    /// N+1 bars. Lookback N.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public static func aroonOscillator(high: [Double], low: [Double], timePeriod: Int = 14) throws(IndicatorError)
        -> [Double]
    {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "AROONOSC")
        try OHLC.checkLengths([high.count, low.count], function: "AROONOSC")
        let n = high.count
        return AlignedOutput.make(count: n, begin: timePeriod) { out in
            withBases(high, low) { h, l in
                ExtremeScan.run(high: h, low: l, count: n, window: timePeriod + 1) { i, hi, lo in
                    out[i] = AroonOscillatorState.value(period: timePeriod, highIndex: hi, lowIndex: lo)
                }
            }
        }
    }
}

/// The highest-high and lowest-low positions over the last N+1 bars that AROON and AROONOSC read.
struct AroonWindow: Codable, Sendable {
    let period: Int
    private(set) var index = -1
    private var highest: WindowExtreme
    private var lowest: WindowExtreme

    init(period: Int) {
        self.period = period
        highest = WindowExtreme(window: period + 1, isMax: true)
        lowest = WindowExtreme(window: period + 1, isMax: false)
    }

    @inline(__always)
    mutating func push(high: Double, low: Double) -> (highIndex: Int, lowIndex: Int)? {
        index += 1
        highest.push(index, high)
        lowest.push(index, low)
        return index >= period ? (highest.extremeIndex, lowest.extremeIndex) : nil
    }
}

/// Streaming AROON (outputs aroondown, aroonup).
public struct AroonState: StreamingIndicator {
    private var window: AroonWindow

    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public init(timePeriod: Int = 14) throws(IndicatorError) {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "AROON")
        window = AroonWindow(period: timePeriod)
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        let (down, up) = next(high: bar.high, low: bar.low)
        return IndicatorOutput(down, up)
    }

    @inline(__always)
    mutating func next(high: Double, low: Double) -> (down: Double, up: Double) {
        guard let at = window.push(high: high, low: low) else { return (.nan, .nan) }
        let n = window.period
        return (
            Self.value(period: n, today: window.index, extremeIndex: at.lowIndex),
            Self.value(period: n, today: window.index, extremeIndex: at.highIndex)
        )
    }

    /// TA-Lib's Aroon line: 100/N · (N − bars since the extreme).
    @inline(__always)
    static func value(period: Int, today: Int, extremeIndex: Int) -> Double {
        (100.0 / Double(period)) * Double(period - (today - extremeIndex))
    }
}

/// Streaming AROONOSC.
public struct AroonOscillatorState: StreamingIndicator {
    private var window: AroonWindow

    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public init(timePeriod: Int = 14) throws(IndicatorError) {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "AROONOSC")
        window = AroonWindow(period: timePeriod)
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(next(high: bar.high, low: bar.low))
    }

    @inline(__always)
    mutating func next(high: Double, low: Double) -> Double {
        guard let at = window.push(high: high, low: low) else { return .nan }
        return Self.value(period: window.period, highIndex: at.highIndex, lowIndex: at.lowIndex)
    }

    @inline(__always)
    static func value(period: Int, highIndex: Int, lowIndex: Int) -> Double {
        (100.0 / Double(period)) * Double(highIndex - lowIndex)
    }
}
