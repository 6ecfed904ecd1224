extension TA {
    /// Absolute price oscillator, TA-Lib's `APO`: MA(fast) − MA(slow) (lookback that of the slower average).
    public static func apo(_ x: [Double], fast: Int = 12, slow: Int = 26, type: MovingAverageType = .ema)
        throws(IndicatorError) -> [Double]
    {
        try priceOscillator(x, fast: fast, slow: slow, type: type, function: "APO", percentage: false)
    }

    /// Percentage price oscillator, TA-Lib's `PPO`: ((MA(fast) − MA(slow)) / MA(slow))·100, 0 when the slow average
    /// is inside TA-Lib's absolute band (−1e-14, 1e-14) (lookback that of the slower average).
    public static func ppo(_ x: [Double], fast: Int = 12, slow: Int = 26, type: MovingAverageType = .ema)
        throws(IndicatorError) -> [Double]
    {
        try priceOscillator(x, fast: fast, slow: slow, type: type, function: "PPO", percentage: true)
    }

    static func priceOscillator(
        _ x: [Double], fast: Int, slow: Int, type: MovingAverageType, function: String, percentage: Bool
    ) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(fast, "fastperiod", function: function)
        try ParameterCheck.period(slow, "slowperiod", function: function)
        try ParameterCheck.maType(type, function: function)
        let (fast, slow) = slow < fast ? (slow, fast) : (fast, slow)
        let begin = maLookback(type, slow)
        return withBase(x) { base in
            let fastLine = maArray(type, base, count: x.count, period: fast)
            return AlignedOutput.make(count: x.count, begin: begin) { out in
                maCore(type, base, count: x.count, period: slow, out: out)
                for i in begin..<x.count { out[i] = oscillator(fastLine[i], out[i], percentage: percentage) }
            }
        }
    }

    @inline(__always)
    static func oscillator(_ fast: Double, _ slow: Double, percentage: Bool) -> Double {
        guard percentage else { return fast - slow }
        return slow.isStrictlyWithinTAEpsilonOfZero ? 0 : ((fast - slow) / slow) * 100.0
    }
}

/// Streaming APO / PPO, bit-identical to the batch functions.
struct PriceOscillatorState: ValueStepper {
    private var fast: MovingAverageState
    private var slow: MovingAverageState
    private let percentage: Bool
    private let begin: Int
    private var index = -1

    init(fast: Int, slow: Int, type: MovingAverageType, percentage: Bool) {
        let (fast, slow) = slow < fast ? (slow, fast) : (fast, slow)
        self.fast = MovingAverageState(type, period: fast)
        self.slow = MovingAverageState(type, period: slow)
        self.percentage = percentage
        begin = TA.maLookback(type, slow)
    }

    mutating func step(_ x: Double) -> Double {
        index += 1
        let f = fast.step(x)
        let s = slow.step(x)
        guard index >= begin else { return .nan }
        return TA.oscillator(f, s, percentage: percentage)
    }
}
