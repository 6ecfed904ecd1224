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
    ///
    /// TA-Lib 0.8's efficiency ratio: 1 when the noise (the running sum of |x[t] − x[t−1]|) is not positive or the
    /// signed change reaches it (a quirk kept for exactness), else |change/noise| capped at 1 (a noise left below
    /// |change| by rounding). No epsilon: the noise's rounding residue after a flat run is removed instead by
    /// `kamaNoiseAfter(flatRun:period:noise:)`.
    @inline(__always)
    static func kamaSmoothing(periodChange: Double, noise: Double) -> Double {
        let fastest = 2.0 / (2.0 + 1.0)
        let slowest = 2.0 / (30.0 + 1.0)
        var ratio = 1.0
        if !(noise <= 0 || periodChange >= noise) {
            let r = abs(periodChange / noise)
            ratio = 1 < r ? 1 : r
        }
        let constant = slowest.addingProduct(ratio, fastest - slowest)
        return constant * constant
    }

    /// TA-Lib 0.8 counts the consecutive exactly-zero one-bar changes; once `period` of them fill the window, the
    /// noise is exactly 0 and the running sum's rounding residue is dropped.
    @inline(__always)
    static func kamaNoiseAfter(flatRun: Int, period: Int, noise: Double) -> Double {
        flatRun >= period ? 0 : noise
    }

    /// Writes KAMA outputs at `period..<count`.
    static func kamaCore(_ x: UnsafePointer<Double>, count: Int, period: Int, out: UnsafeMutablePointer<Double>) {
        if period == 1 {
            for i in 0..<count { out[i] = x[i] }
            return
        }
        guard count > period else { return }
        var noise = 0.0
        var flatRun = 0
        for j in 0..<period {
            let change = x[j] - x[j + 1]
            noise += abs(change)
            flatRun = change == 0 ? flatRun + 1 : 0
        }
        var kama = x[period - 1]
        var trailingValue = x[0]
        var smoothing = kamaSmoothing(periodChange: x[period] - x[0], noise: noise)
        kama = kama.addingProduct(smoothing, x[period] - kama)
        out[period] = kama
        var today = period + 1
        while today < count {
            let value = x[today]
            let trailing = x[today - period]
            let change = value - x[today - 1]
            noise -= abs(trailingValue - trailing)
            noise += abs(change)
            flatRun = change == 0 ? flatRun + 1 : 0
            noise = kamaNoiseAfter(flatRun: flatRun, period: period, noise: noise)
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
    /// Consecutive exactly-zero one-bar changes (see `TA.kamaNoiseAfter`).
    private var flatRun = 0
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
            for j in 0..<period {
                let change = window[j] - window[j + 1]
                noise += abs(change)
                flatRun = change == 0 ? flatRun + 1 : 0
            }
            trailingValue = window[0]
            kama = window[period - 1]
        } else {
            // The window holds x[index − period] ... x[index].
            let trailing = window[0]
            let change = x - window[period - 1]
            noise -= abs(trailingValue - trailing)
            noise += abs(change)
            flatRun = change == 0 ? flatRun + 1 : 0
            noise = TA.kamaNoiseAfter(flatRun: flatRun, period: period, noise: noise)
            trailingValue = trailing
        }
        let smoothing = TA.kamaSmoothing(periodChange: x - window[0], noise: noise)
        kama = kama.addingProduct(smoothing, x - kama)
        return kama
    }
}
