extension TA {
    /// AROON: over the last N+1 bars, aroonup = 100/N · (N − bars since the highest high) and aroondown likewise
    /// with the lowest low (the latest bar wins ties, as in TA-Lib). Lookback N.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public static func aroon(
        high: [Double], low: [Double], timePeriod: Int = 14
    ) throws(IndicatorError) -> (aroonDown: [Double], aroonUp: [Double]) {
        var state = try AroonState(timePeriod: timePeriod)
        try OHLC.checkLengths([high.count, low.count], function: "AROON")
        var up = [Double]()
        let down = AlignedOutput.make(count: high.count, begin: 0) { downOut in
            up = AlignedOutput.make(count: high.count, begin: 0) { upOut in
                for i in 0..<high.count {
                    let (d, u) = state.next(high: high[i], low: low[i])
                    downOut[i] = d
                    upOut[i] = u
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
        var state = try AroonOscillatorState(timePeriod: timePeriod)
        try OHLC.checkLengths([high.count, low.count], function: "AROONOSC")
        return AlignedOutput.make(count: high.count, begin: 0) { out in
            for i in 0..<high.count { out[i] = state.next(high: high[i], low: low[i]) }
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
        let factor = 100.0 / Double(n)
        let today = window.index
        return (factor * Double(n - (today - at.lowIndex)), factor * Double(n - (today - at.highIndex)))
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
        let factor = 100.0 / Double(window.period)
        return factor * Double(at.highIndex - at.lowIndex)
    }
}
