extension TA {
    /// Stochastic RSI, TA-Lib's `STOCHRSI`: the fast stochastic (%K over `fastK` bars, %D a moving average of it)
    /// applied to RSI(period). Lookback `period + fastK − 1 + MA lookback(fastD)`. Returns (fastk, fastd).
    public static func stochrsi(
        _ x: [Double], period: Int = 14, fastK: Int = 5, fastD: Int = 3, fastDType: MovingAverageType = .sma
    ) throws(IndicatorError) -> (fastK: [Double], fastD: [Double]) {
        try ParameterCheck.period(period, function: "STOCHRSI")
        try ParameterCheck.period(fastK, "fastk_period", in: 1...100_000, function: "STOCHRSI")
        try ParameterCheck.period(fastD, "fastd_period", in: 1...100_000, function: "STOCHRSI")
        try ParameterCheck.maType(fastDType, "fastd_matype", function: "STOCHRSI")
        let count = x.count
        let kStart = period + fastK - 1
        let begin = kStart + maLookback(fastDType, fastD)
        guard begin < count else { return (AlignedOutput.empty(count), AlignedOutput.empty(count)) }
        let rsi = try TA.rsi(x, period: period)
        var k = AlignedOutput.make(count: count, begin: kStart) { k in
            withBase(rsi) { r in
                slidingExtremes(high: r + period, low: r + period, count: count - period, period: fastK) {
                    i, highest, lowest in
                    k[period + i] = stochasticK(r[period + i], highest: highest, lowest: lowest)
                }
            }
        }
        let d = withBase(k) { base in
            AlignedOutput.make(count: count, begin: begin) { out in
                maCore(fastDType, base + kStart, count: count - kStart, period: fastD, out: out + kStart)
            }
        }
        for i in kStart..<begin { k[i] = .nan }
        return (k, d)
    }

    /// TA-Lib 0.8's fast %K: 100·(value − lowest)/(highest − lowest), 0 when the range is within 1e-14 of the
    /// operands' magnitude.
    @inline(__always)
    static func stochasticK(_ value: Double, highest: Double, lowest: Double) -> Double {
        let range = highest - lowest
        if abs(range) <= 1e-14 * (abs(highest) + abs(lowest)) { return 0 }
        return ((value - lowest) / range) * 100.0
    }
}

/// Streaming STOCHRSI, bit-identical to `TA.stochrsi`.
struct STOCHRSIState: StreamingIndicator {
    private var rsi: RSIState
    private var extremes: SlidingExtremes
    private var average: MovingAverageState
    private let period: Int
    private let kStart: Int
    private let begin: Int
    private var index = -1

    init(period: Int, fastK: Int, fastD: Int, type: MovingAverageType) {
        rsi = RSIState(period: period)
        extremes = SlidingExtremes(period: fastK)
        average = MovingAverageState(type, period: fastD)
        self.period = period
        kStart = period + fastK - 1
        begin = kStart + TA.maLookback(type, fastD)
    }

    mutating func update(_ bar: BarInput) -> IndicatorOutput {
        index += 1
        let r = rsi.step(bar.close)
        guard index >= period else { return IndicatorOutput(.nan, .nan) }
        extremes.push(high: r, low: r)
        guard index >= kStart else { return IndicatorOutput(.nan, .nan) }
        let k = TA.stochasticK(r, highest: extremes.highest, lowest: extremes.lowest)
        let d = average.step(k)
        guard index >= begin else { return IndicatorOutput(.nan, .nan) }
        return IndicatorOutput(k, d)
    }
}
