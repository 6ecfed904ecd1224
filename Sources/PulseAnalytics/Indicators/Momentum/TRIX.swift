extension TA {
    /// TRIX, TA-Lib's `TRIX`: the one-bar rate of change (in percent) of a triple EMA
    /// (lookback `3·(period − 1) + 1`).
    public static func trix(_ x: [Double], period: Int = 30) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "TRIX")
        let lookback = period - 1
        let begin = 3 * lookback + 1
        guard x.count > 3 * lookback else { return AlignedOutput.empty(x.count) }
        var buffers = [Double](repeating: .nan, count: 3 * x.count)
        buffers.withUnsafeMutableBufferPointer { storage in
            let e1 = storage.baseAddress!
            let e2 = e1 + x.count
            let e3 = e2 + x.count
            withBase(x) { emaCore($0, count: x.count, period: period, out: e1) }
            emaCore(e1 + lookback, count: x.count - lookback, period: period, out: e2 + lookback)
            emaCore(e2 + 2 * lookback, count: x.count - 2 * lookback, period: period, out: e3 + 2 * lookback)
        }
        return AlignedOutput.make(count: x.count, begin: begin) { out in
            for i in begin..<x.count { out[i] = rateOfChange(buffers[2 * x.count + i], buffers[2 * x.count + i - 1]) }
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
