extension TA {
    /// Population variance over a period, TA-Lib's `VAR` (lookback `period − 1`; TA-Lib ignores `nbdev` here).
    public static func variance(_ x: [Double], period: Int = 5) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "VAR")
        return AlignedOutput.make(count: x.count, begin: period - 1) { out in
            withBase(x) { shiftedVarianceCore($0, count: x.count, period: period, out: out) }
        }
    }

    /// Population standard deviation times `deviations`, TA-Lib's `STDDEV` (lookback `period − 1`).
    public static func stddev(_ x: [Double], period: Int = 5, deviations: Double = 1) throws(IndicatorError)
        -> [Double]
    {
        try ParameterCheck.period(period, function: "STDDEV")
        try ParameterCheck.real(deviations, "nbdev", function: "STDDEV")
        return AlignedOutput.make(count: x.count, begin: period - 1) { out in
            withBase(x) {
                shiftedVarianceCore($0, count: x.count, period: period, out: out) {
                    standardDeviation($0, deviations)
                }
            }
        }
    }

    @inline(__always)
    static func standardDeviation(_ variance: Double, _ deviations: Double) -> Double {
        deviations == 1 ? variance.squareRoot() : variance.squareRoot() * deviations
    }

    /// Writes the rolling population variance at `period − 1..<count`, the way TA-Lib 0.8 computes it: running
    /// sums of (x − K) and (x − K)² around an anchor K (first the window's first value), re-anchored at the
    /// window mean, with fresh sums, whenever cancellation threatens or every 32·period bars.
    /// `transform` maps each variance before it is stored (the square root for STDDEV and BBANDS).
    @inline(__always)
    static func shiftedVarianceCore(
        _ x: UnsafePointer<Double>, count: Int, period: Int, out: UnsafeMutablePointer<Double>,
        transform: (Double) -> Double = { $0 }
    ) {
        guard count >= period else { return }
        var state = ShiftedVariance(period: period, anchor: x[0])
        for j in 0..<(period - 1) { state.add(x[j]) }
        var i = period - 1
        while i < count {
            out[i] = transform(state.next(x, today: i))
            i += 1
        }
    }
}

/// The running state of TA-Lib 0.8's shifted-sum variance.
struct ShiftedVariance: Sendable, Codable {
    let period: Int
    private let inverse: Double
    private var anchor: Double
    private var sum1 = 0.0
    private var sum2 = 0.0
    private var untilReanchor: Int

    init(period: Int, anchor: Double) {
        self.period = period
        inverse = 1.0 / Double(period)
        self.anchor = anchor
        untilReanchor = 32 * period
    }

    /// Adds one of the first `period − 1` values.
    @inline(__always)
    mutating func add(_ value: Double) {
        let d = value - anchor
        sum1 += d
        sum2 += d * d
    }

    /// The variance of the window ending at `today`; `x(j)` reads inputs from `today − period + 1` to `today`.
    @inline(__always)
    mutating func next(_ x: (Int) -> Double, today: Int) -> Double {
        let d = x(today) - anchor
        sum1 += d
        sum2 += d * d
        let mean1 = inverse * sum1
        let mean2 = inverse * sum2
        let variance = mean2 - mean1 * mean1
        let trailing = x(today - period + 1) - anchor
        let trailingSquare = trailing * trailing
        let reduced2 = sum2 - trailingSquare
        if !((inverse * reduced2) * 1e-6 > variance) && !(trailingSquare > reduced2 * 1e6) {
            untilReanchor -= 1
            if untilReanchor != 0 {
                sum1 -= trailing
                sum2 = reduced2
                return variance
            }
        }
        return reanchor(x, today: today)
    }

    @inline(__always)
    mutating func next(_ x: UnsafePointer<Double>, today: Int) -> Double { next({ x[$0] }, today: today) }

    /// Fresh sums around the window's mean; a variance lost to cancellation becomes exactly 0.
    private mutating func reanchor(_ x: (Int) -> Double, today: Int) -> Double {
        let first = today - period + 1
        var total = 0.0
        for j in first...today { total += x(j) }
        anchor = total * inverse
        sum1 = 0
        sum2 = 0
        for j in first...today {
            let d = x(j) - anchor
            sum1 += d
            sum2 += d * d
        }
        let mean1 = inverse * sum1
        let mean2 = inverse * sum2
        var variance = mean2 - mean1 * mean1
        if variance < mean2 * 1e-12 { variance = 0 }
        let trailing = x(first) - anchor
        sum1 -= trailing
        sum2 -= trailing * trailing
        untilReanchor = 32 * period
        return variance
    }
}

/// Streaming variance, bit-identical to `TA.variance` (a window of `period` inputs for re-anchoring).
struct ShiftedVarianceState: ValueStepper {
    private var window: RingBuffer
    private var state: ShiftedVariance?
    private var index = -1

    init(period: Int) { window = RingBuffer(capacity: period) }

    mutating func step(_ x: Double) -> Double {
        window.push(x)
        index += 1
        let period = window.capacity
        if state == nil { state = ShiftedVariance(period: period, anchor: x) }
        guard index >= period - 1 else {
            state!.add(x)
            return .nan
        }
        // The window holds x[index − period + 1] ... x[index]; map absolute indices onto it.
        let w = window
        let first = index - period + 1
        return state!.next({ w[$0 - first] }, today: index)
    }
}

/// Streaming STDDEV, bit-identical to `TA.stddev`.
struct STDDEVState: ValueStepper {
    private var variance: ShiftedVarianceState
    private let deviations: Double

    init(period: Int, deviations: Double) {
        variance = ShiftedVarianceState(period: period)
        self.deviations = deviations
    }

    mutating func step(_ x: Double) -> Double {
        let v = variance.step(x)
        return v.isNaN ? v : TA.standardDeviation(v, deviations)
    }
}
