extension TA {
    /// One smoothing step of CMO (TA-Lib divides by the period here), branch-free.
    @inline(__always)
    static func cmoStep(_ gain: Double, _ loss: Double, _ change: Double, keep: Double, n: Double) -> (Double, Double) {
        let isLoss = change < 0
        let gainAdd = isLoss ? 0.0 : change
        let lossAdd = isLoss ? -change : 0.0
        return ((gain * keep + gainAdd) / n, (loss * keep + lossAdd) / n)
    }

    /// TA-Lib 0.8's CMO output: 0 unless G + L is positive. An exact test: after a flat run the averages keep a tiny
    /// positive residue (the running sums never cancel exactly), and TA-Lib divides by it, as this does.
    @inline(__always)
    static func cmoValue(_ gain: Double, _ loss: Double) -> Double {
        let total = gain + loss
        return total > 0 ? ((gain - loss) / total) * 100.0 : 0
    }

    /// Chande momentum oscillator, TA-Lib's `CMO`: Wilder-smoothed gains G and losses L, 100·(G − L)/(G + L)
    /// (lookback `period`).
    public static func cmo(_ x: [Double], period: Int = 14) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, function: "CMO")
        return AlignedOutput.make(count: x.count, begin: period) { out in
            var state = CMOState(period: period)
            for i in 0..<x.count {
                let value = state.step(x[i])
                if i >= period { out[i] = value }
            }
        }
    }
}

/// Streaming CMO, bit-identical to `TA.cmo`. Unlike TA-Lib 0.8's RSI, CMO divides by the period.
struct CMOState: ValueStepper {
    private let period: Int
    private var index = -1
    private var previousValue = 0.0
    private var gain = 0.0
    private var loss = 0.0

    init(period: Int) { self.period = period }

    mutating func step(_ x: Double) -> Double {
        index += 1
        let change = x - previousValue
        previousValue = x
        if index == 0 { return .nan }
        let n = Double(period)
        if index <= period {
            if change < 0 { loss -= change } else { gain += change }
            guard index == period else { return .nan }
            loss /= n
            gain /= n
        } else {
            (gain, loss) = TA.cmoStep(gain, loss, change, keep: Double(period - 1), n: n)
        }
        return TA.cmoValue(gain, loss)
    }
}
