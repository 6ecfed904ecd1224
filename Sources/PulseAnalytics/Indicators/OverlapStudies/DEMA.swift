extension TA {
    /// Double exponential moving average, TA-Lib's `DEMA`: 2·EMA − EMA(EMA) (lookback `2·(period − 1)`); period 1
    /// copies the input, as TA-Lib 0.8 does.
    public static func dema(_ x: [Double], period: Int = 30) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "DEMA")
        return AlignedOutput.make(count: x.count, begin: 2 * (period - 1)) { out in
            withBase(x) { maCore(.dema, $0, count: x.count, period: period, out: out) }
        }
    }

    /// Writes DEMA outputs at `2·(period − 1)..<count` in one pass: the second EMA is seeded with the mean of the
    /// first one's first `period` values, exactly as running TA-Lib's EMA over the first EMA's output does.
    static func demaCore(_ x: UnsafePointer<Double>, count: Int, period: Int, out: UnsafeMutablePointer<Double>) {
        let lookback = period - 1
        guard count > 2 * lookback else { return }
        let k = emaFactor(period)
        let n = Double(period)
        var sum = 0.0
        for j in 0..<period { sum += x[j] }
        var e1 = sum / n
        var seed = e1
        var i = period
        while i <= 2 * lookback {
            e1 = e1.addingProduct(x[i] - e1, k)
            seed += e1
            i += 1
        }
        var e2 = seed / n
        out[2 * lookback] = 2.0 * e1 - e2
        while i < count {
            e1 = e1.addingProduct(x[i] - e1, k)
            e2 = e2.addingProduct(e1 - e2, k)
            out[i] = 2.0 * e1 - e2
            i += 1
        }
    }
}

/// Streaming DEMA, bit-identical to `TA.dema`.
struct DEMAState: ValueStepper {
    private var cascade: EMACascadeState

    init(period: Int) { cascade = EMACascadeState(period: period, depth: 2) }

    mutating func step(_ x: Double) -> Double {
        let (e1, e2, _) = cascade.step(x)
        guard cascade.index >= 2 * cascade.lookback else { return .nan }
        return 2.0 * e1 - e2
    }
}
