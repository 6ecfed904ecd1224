extension TA {
    /// Weighted moving average, TA-Lib's `WMA`: weights 1…N, newest heaviest (lookback `period − 1`).
    public static func wma(_ x: [Double], period: Int = 30) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "WMA")
        return AlignedOutput.make(count: x.count, begin: period - 1) { out in
            withBase(x) { wmaCore($0, count: x.count, period: period, out: out) }
        }
    }

    /// Writes WMA outputs at `period − 1..<count`.
    static func wmaCore(_ x: UnsafePointer<Double>, count: Int, period: Int, out: UnsafeMutablePointer<Double>) {
        guard count >= period else { return }
        if period == 1 {
            for i in 0..<count { out[i] = x[i] }
            return
        }
        var state = RollingWeightedSum(period: period)
        for i in 0..<(period - 1) { state.warmUp(x[i], weight: i + 1) }
        for i in (period - 1)..<count { out[i] = state.next({ x[$0] }, today: i) }
    }
}

/// TA-Lib 0.8's running WMA numerator: the weighted sum and the plain sum are updated per bar and recomputed
/// from the window every 8·period bars, which bounds the drift (and decides the last bits).
struct RollingWeightedSum: Sendable, Codable {
    let period: Int
    private let weight: Double
    private let divider: Double
    private var periodSub = 0.0
    private var periodSum = 0.0
    private var trailingValue = 0.0
    private var untilRefresh: Int

    init(period: Int) {
        self.period = period
        weight = Double(period)
        divider = (Double(period + 1) * Double(period)) * 0.5
        untilRefresh = 8 * period
    }

    /// Adds one of the first `period − 1` inputs with its weight (1, 2, …).
    mutating func warmUp(_ value: Double, weight: Int) {
        periodSub += value
        periodSum += Double(weight) * value
    }

    /// The WMA of the window ending at `today`; `x(j)` reads inputs from `today − period + 1` to `today`.
    @inline(__always)
    mutating func next(_ x: (Int) -> Double, today: Int) -> Double {
        let sum: Double
        untilRefresh -= 1
        if untilRefresh != 0 {
            let value = x(today)
            periodSub += value
            periodSub -= trailingValue
            sum = value * weight + periodSum
        } else {
            periodSub = 0
            var weighted = 0.0
            var w = 1
            for j in (today - period + 1)...today {
                let value = x(j)
                periodSub += value
                weighted += Double(w) * value
                w += 1
            }
            sum = weighted
            untilRefresh = 8 * period
        }
        periodSum = sum - periodSub
        trailingValue = x(today - period + 1)
        return sum / divider
    }
}

/// Streaming WMA, bit-identical to `TA.wma`.
struct WMAState: ValueStepper {
    private var window: RingBuffer
    private var sums: RollingWeightedSum
    private var index = -1

    init(period: Int) {
        window = RingBuffer(capacity: period)
        sums = RollingWeightedSum(period: period)
    }

    mutating func step(_ x: Double) -> Double {
        let period = sums.period
        if period == 1 { return x }
        window.push(x)
        index += 1
        guard index >= period - 1 else {
            sums.warmUp(x, weight: index + 1)
            return .nan
        }
        let w = window
        let first = index - period + 1
        return sums.next({ w[$0 - first] }, today: index)
    }
}
