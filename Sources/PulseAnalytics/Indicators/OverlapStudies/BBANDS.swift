extension TA {
    /// Bollinger bands, TA-Lib's `BBANDS`: a moving average ± multiples of the population standard deviation
    /// (lookback that of the moving average). Returns (upper, middle, lower), aligned with `x`.
    public static func bbands(
        _ x: [Double], period: Int = 20, deviationsUp: Double = 2, deviationsDown: Double = 2,
        type: MovingAverageType = .sma
    ) throws(IndicatorError) -> (upper: [Double], middle: [Double], lower: [Double]) {
        try ParameterCheck.period(period, function: "BBANDS")
        try ParameterCheck.real(deviationsUp, "nbdevup", function: "BBANDS")
        try ParameterCheck.real(deviationsDown, "nbdevdn", function: "BBANDS")
        try ParameterCheck.maType(type, function: "BBANDS")
        let count = x.count
        let begin = maLookback(type, period)
        // TA-Lib computes the deviation from where the average starts, so a slower average delays its anchor.
        let skip = begin - (period - 1)
        let middle = withBase(x) { maArray(type, $0, count: count, period: period) }
        let deviation = withBase(x) { base in
            AlignedOutput.make(count: count, begin: begin) { out in
                shiftedVarianceCore(base + skip, count: count - skip, period: period, out: out + skip)
                for i in begin..<count { out[i] = bandDeviation(out[i]) }
            }
        }
        var upper = AlignedOutput.empty(count)
        var lower = AlignedOutput.empty(count)
        if begin < count {
            for i in begin..<count {
                (upper[i], lower[i]) = bands(middle[i], deviation[i], deviationsUp, deviationsDown)
            }
        }
        return (upper, middle, lower)
    }

    /// The standard deviation from a variance, with TA-Lib's exact zero.
    @inline(__always)
    static func bandDeviation(_ variance: Double) -> Double { variance == 0 ? 0 : variance.squareRoot() }

    /// TA-Lib 0.8's bands: the upper one fused (mid + sd·up), the lower one not (mid − sd·dn).
    @inline(__always)
    static func bands(_ middle: Double, _ deviation: Double, _ up: Double, _ down: Double) -> (Double, Double) {
        (middle.addingProduct(deviation, up), middle - deviation * down)
    }
}

/// Streaming BBANDS, bit-identical to `TA.bbands`.
struct BBANDSState: StreamingIndicator {
    private var average: MovingAverageState
    private var variance: Delayed<ShiftedVarianceState>
    private let up: Double
    private let down: Double
    private let begin: Int
    private var index = -1

    init(period: Int, up: Double, down: Double, type: MovingAverageType) {
        average = MovingAverageState(type, period: period)
        begin = TA.maLookback(type, period)
        variance = Delayed(ShiftedVarianceState(period: period), skip: begin - (period - 1))
        self.up = up
        self.down = down
    }

    mutating func update(_ bar: BarInput) -> IndicatorOutput {
        index += 1
        let middle = average.step(bar.close)
        let deviation = TA.bandDeviation(variance.step(bar.close))
        guard index >= begin else { return IndicatorOutput(.nan, .nan, .nan) }
        let (upper, lower) = TA.bands(middle, deviation, up, down)
        return IndicatorOutput(upper, middle, lower)
    }
}
