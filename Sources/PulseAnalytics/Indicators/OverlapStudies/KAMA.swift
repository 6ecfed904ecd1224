extension TA {
    /// Kaufman adaptive moving average, TA-Lib's `KAMA` (lookback `period`; period 1 copies the input).
    public static func kama(_ x: [Double], period: Int = 30) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "KAMA")
        let lookback = period == 1 ? 0 : period
        return AlignedOutput.make(count: x.count, begin: lookback) { out in
            withBase(x) { kamaCore($0, count: x.count, period: period, out: out) }
        }
    }

    /// KAMA's smoothing constant from the efficiency ratio, squared, as TA-Lib 0.8 rounds it (fused).
    @inline(__always)
    static func kamaSmoothing(periodChange: Double, noise: Double) -> Double {
        let fastest = 2.0 / (2.0 + 1.0)
        let slowest = 2.0 / (30.0 + 1.0)
        // TA-Lib compares the signed change with the noise (a quirk kept for exactness).
        let ratio = (noise <= periodChange || noise.isAlmostZero) ? 1.0 : abs(periodChange / noise)
        let constant = slowest.addingProduct(ratio, fastest - slowest)
        return constant * constant
    }

    /// Writes KAMA outputs at `period..<count`.
    static func kamaCore(_ x: UnsafePointer<Double>, count: Int, period: Int, out: UnsafeMutablePointer<Double>) {
        if period == 1 {
            for i in 0..<count { out[i] = x[i] }
            return
        }
        guard count > period else { return }
        var noise = 0.0
        for j in 0..<period { noise += abs(x[j] - x[j + 1]) }
        var kama = x[period - 1]
        var trailingValue = x[0]
        var smoothing = kamaSmoothing(periodChange: x[period] - x[0], noise: noise)
        kama = kama.addingProduct(smoothing, x[period] - kama)
        out[period] = kama
        var today = period + 1
        while today < count {
            let value = x[today]
            let trailing = x[today - period]
            noise -= abs(trailingValue - trailing)
            noise += abs(value - x[today - 1])
            trailingValue = trailing
            smoothing = kamaSmoothing(periodChange: value - trailing, noise: noise)
            kama = kama.addingProduct(smoothing, value - kama)
            out[today] = kama
            today += 1
        }
    }
}

/// Streaming KAMA, bit-identical to `TA.kama` (a window of period + 1 inputs).
struct KAMAState: ValueStepper {
    private let period: Int
    private var window: RingBuffer
    private var index = -1
    private var noise = 0.0
    private var trailingValue = 0.0
    private var kama = 0.0

    init(period: Int) {
        self.period = period
        window = RingBuffer(capacity: period + 1)
    }

    mutating func step(_ x: Double) -> Double {
        if period == 1 { return x }
        window.push(x)
        index += 1
        if index < period { return .nan }
        if index == period {
            for j in 0..<period { noise += abs(window[j] - window[j + 1]) }
            trailingValue = window[0]
            kama = window[period - 1]
        } else {
            // The window holds x[index − period] ... x[index].
            let trailing = window[0]
            noise -= abs(trailingValue - trailing)
            noise += abs(x - window[period - 1])
            trailingValue = trailing
        }
        let smoothing = TA.kamaSmoothing(periodChange: x - window[0], noise: noise)
        kama = kama.addingProduct(smoothing, x - kama)
        return kama
    }
}
