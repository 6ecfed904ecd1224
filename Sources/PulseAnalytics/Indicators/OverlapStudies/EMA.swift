extension TA {
    /// Exponential moving average, TA-Lib's `EMA`: k = 2/(N+1), seeded with the mean of the first N inputs
    /// (lookback `period − 1`).
    public static func ema(_ x: [Double], period: Int = 30) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "EMA")
        return AlignedOutput.make(count: x.count, begin: period - 1) { out in
            withBase(x) { emaCore($0, begin: period - 1, end: x.count, period: period, out: out) }
        }
    }

    /// EMA's smoothing factor for a period, as TA-Lib computes it.
    @inline(__always)
    static func emaFactor(_ period: Int) -> Double { 2.0 / Double(period + 1) }

    /// Writes EMA outputs for `begin..<end`, seeding at `begin` with the mean of the `period` inputs ending there
    /// (TA-Lib's rule for any start index, which MACD relies on).
    @inline(__always)
    static func emaCore(
        _ x: UnsafePointer<Double>, begin: Int, end: Int, period: Int, k: Double? = nil,
        out: UnsafeMutablePointer<Double>
    ) {
        let k = k ?? emaFactor(period)
        var sum = 0.0
        var j = begin - period + 1
        while j <= begin {
            sum += x[j]
            j += 1
        }
        var previous = sum / Double(period)
        out[begin] = previous
        var i = begin + 1
        while i < end {
            previous = previous.addingProduct(x[i] - previous, k)
            out[i] = previous
            i += 1
        }
    }
}

/// Streaming EMA, bit-identical to `TA.ema`; `start` is the index of the first output (≥ period − 1), for the
/// functions that seed an EMA later than its own lookback (MACD).
struct EMAState: ValueStepper {
    private let period: Int
    private let k: Double
    private let start: Int
    private var index = -1
    private var window: RingBuffer?
    private var previous = Double.nan

    init(period: Int, k: Double? = nil, start: Int? = nil) {
        self.period = period
        self.k = k ?? TA.emaFactor(period)
        self.start = start ?? period - 1
        window = RingBuffer(capacity: period)
    }

    mutating func step(_ x: Double) -> Double {
        guard var seeding = window else {
            previous = previous.addingProduct(x - previous, k)
            return previous
        }
        index += 1
        seeding.push(x)
        guard index >= start else {
            window = seeding
            return .nan
        }
        var sum = 0.0
        for j in 0..<period { sum += seeding[j] }
        previous = sum / Double(period)
        window = nil
        return previous
    }
}
