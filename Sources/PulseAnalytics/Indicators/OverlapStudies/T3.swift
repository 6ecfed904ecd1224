extension TA {
    /// Tillson's T3, TA-Lib's `T3`: six chained EMAs combined with the volume factor (lookback `6·(period − 1)`).
    public static func t3(_ x: [Double], period: Int = 5, volumeFactor: Double = 0.7) throws(IndicatorError)
        -> [Double]
    {
        try ParameterCheck.period(period, in: 1...100_000, function: "T3")
        try ParameterCheck.real(volumeFactor, "vfactor", in: 0...1, function: "T3")
        return AlignedOutput.make(count: x.count, begin: 6 * (period - 1)) { out in
            withBase(x) { t3Core($0, count: x.count, period: period, volumeFactor: volumeFactor, out: out) }
        }
    }

    /// T3's output weights c1…c4 for a volume factor, rounded (and fused) as TA-Lib 0.8 computes them.
    static func t3Coefficients(_ v: Double) -> (Double, Double, Double, Double) {
        let squared = v * v
        let c1 = 0 - squared * v
        let c2 = 3.0 * (squared - c1)
        let c3 = -6.0 * squared - 3.0 * (v - c1)
        let c4 = (1.0.addingProduct(3.0, v) - c1).addingProduct(3.0, squared)
        return (c1, c2, c3, c4)
    }

    /// One level of T3: (1 − k)·e + k·input, the product with the input rounded first (TA-Lib 0.8's contraction).
    @inline(__always)
    static func t3Smooth(_ e: Double, _ input: Double, _ k: Double, _ oneMinusK: Double) -> Double {
        (k * input).addingProduct(oneMinusK, e)
    }

    /// Writes T3 outputs at `6·(period − 1)..<count`.
    static func t3Core(
        _ x: UnsafePointer<Double>, count: Int, period: Int, volumeFactor: Double, out: UnsafeMutablePointer<Double>
    ) {
        let lookback = 6 * (period - 1)
        guard count > lookback else { return }
        if period == 1 {
            for i in 0..<count { out[i] = x[i] }
            return
        }
        let n = Double(period)
        let k = 2.0 / (n + 1.0)
        let oneMinusK = 1.0 - k
        var today = 0
        var sum = x[today]
        today += 1
        for _ in 1..<period {
            sum += x[today]
            today += 1
        }
        var e1 = sum / n
        var e2 = 0.0
        var e3 = 0.0
        var e4 = 0.0
        var e5 = 0.0
        var e6 = 0.0
        sum = e1
        for _ in 1..<period {
            e1 = t3Smooth(e1, x[today], k, oneMinusK)
            today += 1
            sum += e1
        }
        e2 = sum / n
        sum = e2
        for _ in 1..<period {
            e1 = t3Smooth(e1, x[today], k, oneMinusK)
            e2 = t3Smooth(e2, e1, k, oneMinusK)
            today += 1
            sum += e2
        }
        e3 = sum / n
        sum = e3
        for _ in 1..<period {
            e1 = t3Smooth(e1, x[today], k, oneMinusK)
            e2 = t3Smooth(e2, e1, k, oneMinusK)
            e3 = t3Smooth(e3, e2, k, oneMinusK)
            today += 1
            sum += e3
        }
        e4 = sum / n
        sum = e4
        for _ in 1..<period {
            e1 = t3Smooth(e1, x[today], k, oneMinusK)
            e2 = t3Smooth(e2, e1, k, oneMinusK)
            e3 = t3Smooth(e3, e2, k, oneMinusK)
            e4 = t3Smooth(e4, e3, k, oneMinusK)
            today += 1
            sum += e4
        }
        e5 = sum / n
        sum = e5
        for _ in 1..<period {
            e1 = t3Smooth(e1, x[today], k, oneMinusK)
            e2 = t3Smooth(e2, e1, k, oneMinusK)
            e3 = t3Smooth(e3, e2, k, oneMinusK)
            e4 = t3Smooth(e4, e3, k, oneMinusK)
            e5 = t3Smooth(e5, e4, k, oneMinusK)
            today += 1
            sum += e5
        }
        e6 = sum / n
        let (c1, c2, c3, c4) = t3Coefficients(volumeFactor)
        out[lookback] = (c2 * e5).addingProduct(c1, e6).addingProduct(c3, e4).addingProduct(c4, e3)
        while today < count {
            e1 = t3Smooth(e1, x[today], k, oneMinusK)
            e2 = t3Smooth(e2, e1, k, oneMinusK)
            e3 = t3Smooth(e3, e2, k, oneMinusK)
            e4 = t3Smooth(e4, e3, k, oneMinusK)
            e5 = t3Smooth(e5, e4, k, oneMinusK)
            e6 = t3Smooth(e6, e5, k, oneMinusK)
            out[today] = (c2 * e5).addingProduct(c1, e6).addingProduct(c3, e4).addingProduct(c4, e3)
            today += 1
        }
    }
}

/// Streaming T3, bit-identical to `TA.t3`. The six EMAs warm up one after the other, each seeded with the mean of
/// the previous one's first `period` values, as TA-Lib does; every step is `(1 − k)·e + k·input`, fused.
struct T3State: ValueStepper {
    private let period: Int
    private let k: Double
    private let oneMinusK: Double
    private let coefficients: [Double]
    private var e = [Double](repeating: 0, count: 6)
    /// How many EMAs are seeded (0…6), and the running sum and count seeding the next one.
    private var seeded = 0
    private var seedSum = 0.0
    private var seedCount = 0

    init(period: Int, volumeFactor: Double) {
        self.period = period
        k = 2.0 / (Double(period) + 1.0)
        oneMinusK = 1.0 - k
        let c = TA.t3Coefficients(volumeFactor)
        coefficients = [c.0, c.1, c.2, c.3]
    }

    mutating func step(_ x: Double) -> Double {
        if period == 1 { return x }
        var input = x
        for level in 0..<seeded {
            e[level] = (k * input).addingProduct(oneMinusK, e[level])
            input = e[level]
        }
        guard seeded < 6 else { return Self.combine(coefficients, e) }
        // `input` is the newest value of the level being seeded (the raw input for the first level); its seed is
        // the mean of its first `period` values, summed in order.
        seedSum = seedCount == 0 ? input : seedSum + input
        seedCount += 1
        guard seedCount == period else { return .nan }
        e[seeded] = seedSum / Double(period)
        seeded += 1
        guard seeded < 6 else { return Self.combine(coefficients, e) }
        seedSum = e[seeded - 1]
        seedCount = 1
        return .nan
    }

    @inline(__always)
    static func combine(_ c: [Double], _ e: [Double]) -> Double {
        // fma(c4, e3, fma(c3, e4, fma(c1, e6, c2·e5))), TA-Lib 0.8's contraction of c1·e6 + c2·e5 + c3·e4 + c4·e3.
        let inner = (c[1] * e[4]).addingProduct(c[0], e[5])
        return inner.addingProduct(c[2], e[3]).addingProduct(c[3], e[2])
    }
}
