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
        if type == .sma { return bbandsSMA(x, period: period, up: deviationsUp, down: deviationsDown) }
        let count = x.count
        let begin = maLookback(type, period)
        // TA-Lib computes the deviation from where the average starts, so a slower average delays its anchor.
        let skip = begin - (period - 1)
        let middle = withBase(x) { maArray(type, $0, count: count, period: period) }
        // The deviation goes into the upper band's storage first, then both bands are written in one pass.
        var upper = withBase(x) { base in
            AlignedOutput.make(count: count, begin: begin) { out in
                shiftedVarianceCore(base + skip, count: count - skip, period: period, out: out + skip) {
                    bandDeviation($0)
                }
            }
        }
        let lower = AlignedOutput.make(count: count, begin: begin) { lower in
            upper.withUnsafeMutableBufferPointer { upper in
                withBase(middle) { middle in
                    for i in begin..<count {
                        (upper[i], lower[i]) = bands(middle[i], upper[i], deviationsUp, deviationsDown)
                    }
                }
            }
        }
        return (upper, middle, lower)
    }

    /// BBANDS over an SMA in one pass, as TA-Lib 0.8 fuses it: the running SMA sum, the shifted-sum variance
    /// and both bands per bar.
    static func bbandsSMA(_ x: [Double], period: Int, up: Double, down: Double)
        -> (upper: [Double], middle: [Double], lower: [Double])
    {
        let count = x.count
        let (upper, middle, lower) = AlignedOutput.make3(count: count, begin: period - 1) { upper, middle, lower in
            withBase(x) { x in
                var total = 0.0
                var variance = ShiftedVariance(period: period, anchor: x[0])
                for j in 0..<(period - 1) {
                    total += x[j]
                    variance.add(x[j])
                }
                let n = Double(period)
                for i in (period - 1)..<count {
                    total += x[i]
                    let mean = total / n
                    total -= x[i - period + 1]
                    let deviation = bandDeviation(variance.next(x, today: i))
                    middle[i] = mean
                    (upper[i], lower[i]) = bands(mean, deviation, up, down)
                }
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
