extension TA {
    /// PLUS_DM, Plus Directional Movement: Wilder-smoothed +DM (the plain sum of bars 1…N−1 first).
    /// Lookback N−1 (1 when N is 1, where the output is the bar's raw +DM).
    /// - Throws: `IndicatorError` unless `timePeriod` is in 1...100000.
    public static func plusDM(high: [Double], low: [Double], timePeriod: Int = 14) throws(IndicatorError) -> [Double] {
        let state = try DirectionalMovementState(.plusDM, timePeriod: timePeriod)
        return try state.batch(high: high, low: low, close: low)
    }

    /// MINUS_DM, Minus Directional Movement. Lookback N−1 (1 when N is 1).
    /// - Throws: `IndicatorError` unless `timePeriod` is in 1...100000.
    public static func minusDM(high: [Double], low: [Double], timePeriod: Int = 14) throws(IndicatorError) -> [Double] {
        let state = try DirectionalMovementState(.minusDM, timePeriod: timePeriod)
        return try state.batch(high: high, low: low, close: low)
    }

    /// PLUS_DI, Plus Directional Indicator: 100 · smoothed +DM / smoothed true range (0 when the range is about
    /// 0). Lookback N. With N = 1, TA-Lib returns the raw ratio +DM / TR without the factor 100; so does this.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 1...100000.
    public static func plusDI(
        high: [Double], low: [Double], close: [Double], timePeriod: Int = 14
    ) throws(IndicatorError) -> [Double] {
        let state = try DirectionalMovementState(.plusDI, timePeriod: timePeriod)
        return try state.batch(high: high, low: low, close: close)
    }

    /// MINUS_DI, Minus Directional Indicator. Lookback N.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 1...100000.
    public static func minusDI(
        high: [Double], low: [Double], close: [Double], timePeriod: Int = 14
    ) throws(IndicatorError) -> [Double] {
        let state = try DirectionalMovementState(.minusDI, timePeriod: timePeriod)
        return try state.batch(high: high, low: low, close: close)
    }
}

/// Streaming PLUS_DM, MINUS_DM, PLUS_DI or MINUS_DI.
public struct DirectionalMovementState: StreamingIndicator {
    /// Which of the four directional-movement outputs this state computes.
    public enum Output: String, Codable, Sendable {
        case plusDM, minusDM, plusDI, minusDI

        var function: String {
            switch self {
            case .plusDM: return "PLUS_DM"
            case .minusDM: return "MINUS_DM"
            case .plusDI: return "PLUS_DI"
            case .minusDI: return "MINUS_DI"
            }
        }
    }

    public let output: Output
    private var core: DirectionalMovementCore

    /// - Throws: `IndicatorError` unless `timePeriod` is in 1...100000.
    public init(_ output: Output, timePeriod: Int = 14) throws(IndicatorError) {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 1...100_000, function: output.function)
        self.output = output
        core = DirectionalMovementCore(period: timePeriod)
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(next(high: bar.high, low: bar.low, close: bar.close))
    }

    @inline(__always)
    mutating func next(high: Double, low: Double, close: Double) -> Double {
        core.update(high: high, low: low, close: close)
        let i = core.index
        let n = core.period
        guard i >= 1 else { return .nan }
        switch output {
        case .plusDM: return i >= n - 1 ? (n == 1 ? core.rawPlus : core.plusDM) : .nan
        case .minusDM: return i >= n - 1 ? (n == 1 ? core.rawMinus : core.minusDM) : .nan
        case .plusDI, .minusDI:
            let plus = output == .plusDI
            if n == 1 {
                let dm = plus ? core.rawPlus : core.rawMinus
                return dm == 0 || core.rawRange == 0 ? 0 : dm / core.rawRange
            }
            guard i >= n else { return .nan }
            guard let di = core.directionalIndices else { return 0 }
            return plus ? di.plus : di.minus
        }
    }

    func batch(high: [Double], low: [Double], close: [Double]) throws(IndicatorError) -> [Double] {
        try OHLC.checkLengths([high.count, low.count, close.count], function: output.function)
        return DirectionalMovementBatch.run(output, period: core.period, high: high, low: low, close: close)
    }
}
