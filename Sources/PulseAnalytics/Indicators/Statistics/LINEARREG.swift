extension TA {
    /// Linear regression end-point, TA-Lib's `LINEARREG` (lookback `period − 1`).
    public static func linearreg(_ x: [Double], period: Int = 14) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, function: "LINEARREG")
        return AlignedOutput.make(count: x.count, begin: period - 1) { out in
            withBase(x) { regressionCore($0, count: x.count, period: period, output: .endPoint, out: out) }
        }
    }

    /// Linear regression slope, TA-Lib's `LINEARREG_SLOPE` (lookback `period − 1`).
    public static func linearregSlope(_ x: [Double], period: Int = 14) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, function: "LINEARREG_SLOPE")
        return AlignedOutput.make(count: x.count, begin: period - 1) { out in
            withBase(x) { regressionCore($0, count: x.count, period: period, output: .slope, out: out) }
        }
    }

    static func regressionCore(
        _ x: UnsafePointer<Double>, count: Int, period: Int, output: RollingRegression.Output,
        out: UnsafeMutablePointer<Double>
    ) {
        guard count >= period else { return }
        var state = RollingRegression(period: period, output: output)
        for i in (period - 1)..<count { out[i] = state.next({ x[$0] }, today: i) }
    }
}

/// TA-Lib 0.8's rolling least-squares fit over the last `period` values (x = 0 for the newest value, N − 1 for
/// the oldest): running ΣY, ΣXY and Σ|Y|, recomputed from scratch every 32·period bars or when removing the
/// oldest value would cancel too much (|N·y_old| > 100·Σ|Y|).
struct RollingRegression: Sendable, Codable {
    enum Output: Sendable, Codable { case slope, endPoint }

    let period: Int
    let output: Output
    private let n: Double
    private let sumX: Double
    private let divisor: Double
    private var sumY = 0.0
    private var sumXY = 0.0
    private var sumAbs = 0.0
    private var trailingValue = 0.0
    private var untilRefresh = 0
    private var started = false

    init(period: Int, output: Output) {
        self.period = period
        self.output = output
        n = Double(period)
        let weights = Double(period - 1) * n
        sumX = weights * 0.5
        let sumXSquared = (Double(2 * period - 1) * weights) / 6.0
        divisor = sumX * sumX - n * sumXSquared
    }

    /// The output for the window ending at `today`; `x(j)` reads inputs from `today − period` to `today`.
    mutating func next(_ x: (Int) -> Double, today: Int) -> Double {
        if !started {
            started = true
            refresh(x, today: today)
        } else {
            untilRefresh -= 1
            if untilRefresh == 0 {
                refresh(x, today: today)
            } else {
                let newest = x(today)
                let removed = n * trailingValue
                sumAbs -= abs(trailingValue)
                sumAbs += abs(newest)
                if abs(removed) > sumAbs * 100.0 {
                    refresh(x, today: today)
                } else {
                    sumXY += sumY
                    sumY -= trailingValue
                    sumXY -= removed
                    sumY += newest
                }
            }
        }
        trailingValue = x(today - period + 1)
        let slope = (n * sumXY - sumX * sumY) / divisor
        switch output {
        case .slope: return slope
        case .endPoint:
            let intercept = (sumY - sumX * slope) / n
            return intercept.addingProduct(slope, n - 1)
        }
    }

    private mutating func refresh(_ x: (Int) -> Double, today: Int) {
        sumY = 0
        sumXY = 0
        sumAbs = 0
        var weight = n - 1
        for j in (today - period + 1)...today {
            let value = x(j)
            sumY += value
            sumAbs += abs(value)
            sumXY += value * weight
            weight -= 1.0
        }
        untilRefresh = 32 * period
    }
}

/// Streaming LINEARREG / LINEARREG_SLOPE, bit-identical to the batch functions.
struct RegressionState: ValueStepper {
    private var window: RingBuffer
    private var regression: RollingRegression
    private var index = -1

    init(period: Int, output: RollingRegression.Output) {
        window = RingBuffer(capacity: period + 1)
        regression = RollingRegression(period: period, output: output)
    }

    mutating func step(_ x: Double) -> Double {
        window.push(x)
        index += 1
        let period = regression.period
        guard index >= period - 1 else { return .nan }
        // The window holds up to period + 1 values ending at `index`.
        let w = window
        let first = index - w.count + 1
        return regression.next({ w[$0 - first] }, today: index)
    }
}
