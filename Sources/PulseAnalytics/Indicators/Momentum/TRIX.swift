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
    private var cascade: EMACascadeState
    private var previous = Double.nan

    init(period: Int) { cascade = EMACascadeState(period: period, depth: 3) }

    mutating func step(_ x: Double) -> Double {
        let (_, _, e3) = cascade.step(x)
        guard cascade.index >= 2 * cascade.lookback else { return .nan }
        defer { previous = e3 }
        guard cascade.index > 3 * cascade.lookback else { return .nan }
        return TA.rateOfChange(e3, previous)
    }
}
