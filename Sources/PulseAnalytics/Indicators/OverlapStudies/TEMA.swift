extension TA {
    /// Triple exponential moving average, TA-Lib's `TEMA`: 3·EMA − 3·EMA² + EMA³ (lookback `3·(period − 1)`).
    public static func tema(_ x: [Double], period: Int = 30) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "TEMA")
        return AlignedOutput.make(count: x.count, begin: 3 * (period - 1)) { out in
            withBase(x) { temaCore($0, count: x.count, period: period, out: out) }
        }
    }

    /// Writes TEMA outputs at `3·(period − 1)..<count` (needs `count > 3·(period − 1)`).
    static func temaCore(_ x: UnsafePointer<Double>, count: Int, period: Int, out: UnsafeMutablePointer<Double>) {
        let lookback = period - 1
        guard count > 3 * lookback else { return }
        var buffers = [Double](repeating: 0, count: 2 * count)
        buffers.withUnsafeMutableBufferPointer { storage in
            let e1 = storage.baseAddress!
            let e2 = e1 + count
            emaCore(x, count: count, period: period, out: e1)
            emaCore(e1 + lookback, count: count - lookback, period: period, out: e2 + lookback)
            emaCore(e2 + 2 * lookback, count: count - 2 * lookback, period: period, out: out + 2 * lookback)
            for i in (3 * lookback)..<count { out[i] = temaValue(e1[i], e2[i], out[i]) }
        }
    }

    /// TA-Lib's combination, unfused: (3·e1 − 3·e2) + e3.
    @inline(__always)
    static func temaValue(_ e1: Double, _ e2: Double, _ e3: Double) -> Double { 3.0 * e1 - 3.0 * e2 + e3 }
}

/// Streaming TEMA, bit-identical to `TA.tema`.
struct TEMAState: ValueStepper {
    private let lookback: Int
    private var index = -1
    private var first: EMAState
    private var second: EMAState
    private var third: EMAState

    init(period: Int) {
        lookback = period - 1
        first = EMAState(period: period)
        second = EMAState(period: period)
        third = EMAState(period: period)
    }

    mutating func step(_ x: Double) -> Double {
        index += 1
        let e1 = first.step(x)
        guard index >= lookback else { return .nan }
        let e2 = second.step(e1)
        guard index >= 2 * lookback else { return .nan }
        let e3 = third.step(e2)
        guard index >= 3 * lookback else { return .nan }
        return TA.temaValue(e1, e2, e3)
    }
}
