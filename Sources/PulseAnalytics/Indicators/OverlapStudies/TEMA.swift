extension TA {
    /// Triple exponential moving average, TA-Lib's `TEMA`: 3·EMA − 3·EMA² + EMA³ (lookback `3·(period − 1)`);
    /// period 1 copies the input, as TA-Lib 0.8 does.
    public static func tema(_ x: [Double], period: Int = 30) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "TEMA")
        return AlignedOutput.make(count: x.count, begin: 3 * (period - 1)) { out in
            withBase(x) { maCore(.tema, $0, count: x.count, period: period, out: out) }
        }
    }

    /// Writes TEMA outputs at `3·(period − 1)..<count`.
    static func temaCore(_ x: UnsafePointer<Double>, count: Int, period: Int, out: UnsafeMutablePointer<Double>) {
        let lookback = period - 1
        guard count > 3 * lookback else { return }
        var chain = TripleEMA(x, period: period)
        out[3 * lookback] = temaValue(chain.e1, chain.e2, chain.e3)
        var i = 3 * lookback + 1
        while i < count {
            chain.step(x[i])
            out[i] = temaValue(chain.e1, chain.e2, chain.e3)
            i += 1
        }
    }

    /// TA-Lib's combination, unfused: (3·e1 − 3·e2) + e3.
    @inline(__always)
    static func temaValue(_ e1: Double, _ e2: Double, _ e3: Double) -> Double { 3.0 * e1 - 3.0 * e2 + e3 }
}

/// Streaming TEMA, bit-identical to `TA.tema`.
struct TEMAState: ValueStepper {
    private var cascade: EMACascadeState

    init(period: Int) { cascade = EMACascadeState(period: period, depth: 3) }

    mutating func step(_ x: Double) -> Double {
        let (e1, e2, e3) = cascade.step(x)
        guard cascade.index >= 3 * cascade.lookback else { return .nan }
        return TA.temaValue(e1, e2, e3)
    }
}

/// Three chained EMAs run in one loop (TEMA, TRIX), seeded the way TA-Lib's EMA-of-EMA seeds them: each level
/// with the mean of the previous level's first `period` values. After `init`, the levels hold their values at
/// index `3·(period − 1)`.
struct TripleEMA {
    private let k: Double
    private(set) var e1: Double
    private(set) var e2: Double
    private(set) var e3: Double

    @inline(__always)
    init(_ x: UnsafePointer<Double>, period: Int) {
        let lookback = period - 1
        let n = Double(period)
        k = TA.emaFactor(period)
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
        seed = e2
        while i <= 3 * lookback {
            e1 = e1.addingProduct(x[i] - e1, k)
            e2 = e2.addingProduct(e1 - e2, k)
            seed += e2
            i += 1
        }
        (self.e1, self.e2, e3) = (e1, e2, seed / n)
    }

    @inline(__always)
    mutating func step(_ x: Double) {
        e1 = e1.addingProduct(x - e1, k)
        e2 = e2.addingProduct(e1 - e2, k)
        e3 = e3.addingProduct(e2 - e3, k)
    }
}
