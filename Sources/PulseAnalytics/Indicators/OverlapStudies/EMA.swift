extension TA {
    /// Exponential moving average, TA-Lib's `EMA`: k = 2/(N+1), seeded with the mean of the first N inputs
    /// (lookback `period − 1`); each step is `prev + (x − prev)·k` fused, as TA-Lib 0.8 computes it. Period 1
    /// copies the input, as TA-Lib 0.8's EMA does (k = 1 would leave (x − prev) + prev, not always x).
    public static func ema(_ x: [Double], period: Int = 30) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "EMA")
        return AlignedOutput.make(count: x.count, begin: period - 1) { out in
            withBase(x) { maCore(.ema, $0, count: x.count, period: period, out: out) }
        }
    }

    /// EMA's smoothing factor for a period, as TA-Lib computes it.
    @inline(__always)
    static func emaFactor(_ period: Int) -> Double { 2.0 / Double(period + 1) }

    /// Writes EMA outputs at `period − 1..<count`.
    @inline(__always)
    static func emaCore(
        _ x: UnsafePointer<Double>, count: Int, period: Int, k: Double? = nil, out: UnsafeMutablePointer<Double>
    ) {
        guard count >= period else { return }
        let k = k ?? emaFactor(period)
        var sum = 0.0
        for j in 0..<period { sum += x[j] }
        var previous = sum / Double(period)
        out[period - 1] = previous
        var i = period
        while i < count {
            previous = previous.addingProduct(x[i] - previous, k)
            out[i] = previous
            i += 1
        }
    }
}

/// Streaming EMA, bit-identical to `TA.ema`.
struct EMAState: ValueStepper {
    private let k: Double
    private var count = 0
    private var sum = 0.0
    private let period: Int
    private var previous = Double.nan

    init(period: Int, k: Double? = nil) {
        self.period = period
        self.k = k ?? TA.emaFactor(period)
    }

    mutating func step(_ x: Double) -> Double {
        if count >= period {
            previous = previous.addingProduct(x - previous, k)
            return previous
        }
        count += 1
        sum += x
        guard count == period else { return .nan }
        previous = sum / Double(period)
        return previous
    }
}
