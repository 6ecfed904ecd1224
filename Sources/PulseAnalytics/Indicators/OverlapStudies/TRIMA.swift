extension TA {
    /// Triangular moving average, TA-Lib's `TRIMA` (an SMA of an SMA, computed with TA-Lib's running
    /// numerator; lookback `period − 1`).
    public static func trima(_ x: [Double], period: Int = 30) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "TRIMA")
        return AlignedOutput.make(count: x.count, begin: period - 1) { out in
            withBase(x) { trimaCore($0, count: x.count, period: period, out: out) }
        }
    }

    /// TA-Lib's TRIMA weights: 1/((h+1)²) for odd periods, 1/(h·(h+1)) for even ones, h = period/2.
    static func trimaFactor(_ period: Int) -> Double {
        let half = period >> 1
        return 1.0 / Double(period % 2 == 1 ? (half + 1) * (half + 1) : half * (half + 1))
    }

    /// The numerator and its two running parts for the window ending at `period − 1`, as TA-Lib seeds them.
    static func trimaSeed(_ x: (Int) -> Double, period: Int) -> (numerator: Double, sub: Double, add: Double) {
        let half = period >> 1
        let middle = period % 2 == 1 ? half : half - 1
        var numerator = 0.0
        var sub = 0.0
        var i = middle
        while i >= 0 {
            sub += x(i)
            numerator += sub
            i -= 1
        }
        var add = 0.0
        i = middle + 1
        while i <= period - 1 {
            add += x(i)
            numerator += add
            i += 1
        }
        return (numerator, sub, add)
    }

    /// One TRIMA step for a new input at `today`: `trailing` is x[today − period], `middle` x[today − period/2].
    @inline(__always)
    static func trimaStep(
        _ state: inout (numerator: Double, sub: Double, add: Double), odd: Bool, trailing: Double,
        middle: Double, today: Double
    ) {
        state.numerator -= state.sub
        state.sub -= trailing
        state.sub += middle
        if odd {
            state.numerator += state.add
            state.add -= middle
        } else {
            state.add -= middle
            state.numerator += state.add
        }
        state.add += today
        state.numerator += today
    }

    /// Writes TRIMA outputs at `period − 1..<count`.
    static func trimaCore(_ x: UnsafePointer<Double>, count: Int, period: Int, out: UnsafeMutablePointer<Double>) {
        guard count >= period else { return }
        let factor = trimaFactor(period)
        var state = trimaSeed({ x[$0] }, period: period)
        out[period - 1] = state.numerator * factor
        let odd = period % 2 == 1
        let half = period >> 1
        var today = period
        while today < count {
            trimaStep(
                &state, odd: odd, trailing: x[today - period], middle: x[today - half], today: x[today])
            out[today] = state.numerator * factor
            today += 1
        }
    }
}

/// Streaming TRIMA, bit-identical to `TA.trima` (a window of period + 1 inputs).
struct TRIMAState: ValueStepper {
    private let period: Int
    private var window: RingBuffer
    private var numerator = 0.0
    private var sub = 0.0
    private var add = 0.0
    private var index = -1

    init(period: Int) {
        self.period = period
        window = RingBuffer(capacity: period + 1)
    }

    mutating func step(_ x: Double) -> Double {
        window.push(x)
        index += 1
        if index < period - 1 { return .nan }
        if index == period - 1 {
            let w = window
            (numerator, sub, add) = TA.trimaSeed({ w[$0] }, period: period)
        } else {
            // The window holds x[index − period] ... x[index].
            var state: (numerator: Double, sub: Double, add: Double) = (numerator, sub, add)
            TA.trimaStep(
                &state, odd: period % 2 == 1, trailing: window[0], middle: window[period - (period >> 1)],
                today: x)
            (numerator, sub, add) = state
        }
        return numerator * TA.trimaFactor(period)
    }
}
