extension TA {
    /// TRIX, TA-Lib's `TRIX`: the one-bar rate of change (in percent) of a triple EMA
    /// (lookback `3·(period − 1) + 1`).
    public static func trix(_ x: [Double], period: Int = 30) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "TRIX")
        let lookback = period - 1
        let begin = 3 * lookback + 1
        return AlignedOutput.make(count: x.count, begin: begin) { out in
            withBase(x) { base in
                var chain = TripleEMA(base, period: period)
                var previous = chain.e3
                for i in begin..<x.count {
                    chain.step(base[i])
                    out[i] = rateOfChange(chain.e3, previous)
                    previous = chain.e3
                }
            }
        }
    }
}

/// Streaming TRIX, bit-identical to `TA.trix`.
struct TRIXState: ValueStepper {
    private let lookback: Int
    private var index = -1
    private var first: EMAState
    private var second: EMAState
    private var third: EMAState
    private var previous = Double.nan

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
        defer { previous = e3 }
        guard index > 3 * lookback else { return .nan }
        return TA.rateOfChange(e3, previous)
    }
}
