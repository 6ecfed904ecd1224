extension TA {
    /// Relative strength index, TA-Lib's `RSI`: Wilder smoothing of gains and losses (lookback `period`).
    public static func rsi(_ x: [Double], period: Int = 14) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, function: "RSI")
        return AlignedOutput.make(count: x.count, begin: period) { out in
            withBase(x) { rsiCore($0, begin: period, end: x.count, period: period, out: out) }
        }
    }

    /// Writes RSI outputs for `begin..<end` (`begin ≥ period`), reading inputs from `begin − period`.
    static func rsiCore(
        _ x: UnsafePointer<Double>, begin: Int, end: Int, period: Int, out: UnsafeMutablePointer<Double>
    ) {
        var today = begin - period
        var previousValue = x[today]
        var gain = 0.0
        var loss = 0.0
        today += 1
        for _ in 0..<period {
            let value = x[today]
            today += 1
            let change = value - previousValue
            previousValue = value
            if change < 0 { loss -= change } else { gain += change }
        }
        let inverse = 1.0 / Double(period)
        let keep = Double(period - 1)
        loss *= inverse
        gain *= inverse
        out[begin] = rsiValue(gain, loss)
        while today < end {
            let value = x[today]
            let change = value - previousValue
            previousValue = value
            (gain, loss) = wilderStep(gain, loss, change, keep: keep, inverse: inverse)
            out[today] = rsiValue(gain, loss)
            today += 1
        }
    }

    /// One Wilder update of the average gain and loss, as TA-Lib 0.8 rounds it: (avg·(N−1) + change)·(1/N).
    /// Written as selects rather than a branch (a random walk would mispredict half the time); adding the
    /// zero to the untouched side leaves its value unchanged.
    @inline(__always)
    static func wilderStep(
        _ gain: Double, _ loss: Double, _ change: Double, keep: Double, inverse: Double
    ) -> (Double, Double) {
        let isLoss = change < 0
        let gainAdd = isLoss ? 0.0 : change
        let lossAdd = isLoss ? -change : 0.0
        return ((gain * keep + gainAdd) * inverse, (loss * keep + lossAdd) * inverse)
    }

    /// TA-Lib 0.8's RSI output: 0 unless the sum of the averages is positive (an exact test, not an epsilon).
    @inline(__always)
    static func rsiValue(_ gain: Double, _ loss: Double) -> Double {
        let total = gain + loss
        return total <= 0 ? 0 : 100 * (gain / total)
    }
}

extension Double {
    /// TA-Lib 0.8's `TA_IS_ZERO`: strictly inside the absolute band (−1e-14, 1e-14). Only PPO (the slow average)
    /// and DX/ADX (the sum of the DIs) still use it in 0.8; other functions test exact zero or a relative band.
    @inline(__always)
    var isStrictlyWithinTAEpsilonOfZero: Bool { -1e-14 < self && self < 1e-14 }
}

/// Streaming RSI, bit-identical to `TA.rsi`.
struct RSIState: ValueStepper {
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
        if index < period {
            if change < 0 { loss -= change } else { gain += change }
            return .nan
        }
        let inverse = 1.0 / Double(period)
        if index == period {
            if change < 0 { loss -= change } else { gain += change }
            loss *= inverse
            gain *= inverse
        } else {
            (gain, loss) = TA.wilderStep(gain, loss, change, keep: Double(period - 1), inverse: inverse)
        }
        return TA.rsiValue(gain, loss)
    }
}
