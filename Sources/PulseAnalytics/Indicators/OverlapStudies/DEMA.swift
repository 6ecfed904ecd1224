extension TA {
    /// Double exponential moving average, TA-Lib's `DEMA`: 2·EMA − EMA(EMA) (lookback `2·(period − 1)`).
    public static func dema(_ x: [Double], period: Int = 30) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "DEMA")
        return AlignedOutput.make(count: x.count, begin: 2 * (period - 1)) { out in
            withBase(x) { demaCore($0, count: x.count, period: period, out: out) }
        }
    }

    /// Writes DEMA outputs at `2·(period − 1)..<count` (needs `count > 2·(period − 1)`).
    static func demaCore(_ x: UnsafePointer<Double>, count: Int, period: Int, out: UnsafeMutablePointer<Double>) {
        let lookback = period - 1
        guard count > 2 * lookback else { return }
        var first = [Double](repeating: 0, count: count)
        first.withUnsafeMutableBufferPointer { e1 in
            let e1 = e1.baseAddress!
            emaCore(x, count: count, period: period, out: e1)
            // The second EMA runs over the first one's outputs; write it into `out`, then combine in place.
            emaCore(e1 + lookback, count: count - lookback, period: period, out: out + lookback)
            for i in (2 * lookback)..<count { out[i] = 2.0 * e1[i] - out[i] }
        }
    }
}

/// Streaming DEMA, bit-identical to `TA.dema`.
struct DEMAState: ValueStepper {
    private let lookback: Int
    private var index = -1
    private var first: EMAState
    private var second: EMAState

    init(period: Int) {
        lookback = period - 1
        first = EMAState(period: period)
        second = EMAState(period: period)
    }

    mutating func step(_ x: Double) -> Double {
        index += 1
        let e1 = first.step(x)
        guard index >= lookback else { return .nan }
        let e2 = second.step(e1)
        guard index >= 2 * lookback else { return .nan }
        return 2.0 * e1 - e2
    }
}
