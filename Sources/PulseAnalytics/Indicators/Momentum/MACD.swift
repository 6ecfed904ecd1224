extension TA {
    /// Moving average convergence/divergence, TA-Lib's `MACD`. Both EMAs start at the slow EMA's first index
    /// (the fast one seeded with the mean of the `fast` values ending there), so early values differ from
    /// EMA(fast) − EMA(slow). Lookback `slow − 1 + signal − 1`. Returns (macd, signal, histogram).
    public static func macd(_ x: [Double], fast: Int = 12, slow: Int = 26, signal: Int = 9) throws(IndicatorError)
        -> (macd: [Double], signal: [Double], histogram: [Double])
    {
        try ParameterCheck.period(fast, "fastperiod", function: "MACD")
        try ParameterCheck.period(slow, "slowperiod", function: "MACD")
        try ParameterCheck.period(signal, "signalperiod", in: 1...100_000, function: "MACD")
        let (fast, slow) = slow < fast ? (slow, fast) : (fast, slow)
        let count = x.count
        let begin = slow - 1 + signal - 1
        let (line, signalLine, histogram) = AlignedOutput.make3(count: count, begin: begin) {
            macd, signalOut, histogramOut in
            withBase(x) { x in
                macdCore(
                    x, count: count, fast: fast, slow: slow, signal: signal, macd: macd, signal: signalOut,
                    histogram: histogramOut)
            }
        }
        return (line, signalLine, histogram)
    }

    /// Writes MACD, signal and histogram at `slow − 1 + signal − 1..<count` in one pass (needs that to be
    /// `< count`). Both EMAs are seeded at index slow − 1, the fast one with the mean of its last `fast` inputs
    /// there; the signal EMA is seeded with the mean of the line's first `signal` values.
    static func macdCore(
        _ x: UnsafePointer<Double>, count: Int, fast: Int, slow: Int, signal: Int, macd: UnsafeMutablePointer<Double>,
        signal signalOut: UnsafeMutablePointer<Double>, histogram: UnsafeMutablePointer<Double>
    ) {
        let begin = slow - 1 + signal - 1
        let (kSlow, kFast, kSignal) = (emaFactor(slow), emaFactor(fast), emaFactor(signal))
        var slowSum = 0.0
        for j in 0..<slow { slowSum += x[j] }
        var fastSum = 0.0
        for j in (slow - fast)..<slow { fastSum += x[j] }
        var slowEMA = slowSum / Double(slow)
        var fastEMA = fastSum / Double(fast)
        var value = fastEMA - slowEMA
        var seed = value
        var i = slow
        while i <= begin {
            slowEMA = slowEMA.addingProduct(x[i] - slowEMA, kSlow)
            fastEMA = fastEMA.addingProduct(x[i] - fastEMA, kFast)
            value = fastEMA - slowEMA
            seed += value
            i += 1
        }
        var signalEMA = seed / Double(signal)
        macd[begin] = value
        signalOut[begin] = signalEMA
        histogram[begin] = value - signalEMA
        while i < count {
            slowEMA = slowEMA.addingProduct(x[i] - slowEMA, kSlow)
            fastEMA = fastEMA.addingProduct(x[i] - fastEMA, kFast)
            value = fastEMA - slowEMA
            signalEMA = signalEMA.addingProduct(value - signalEMA, kSignal)
            macd[i] = value
            signalOut[i] = signalEMA
            histogram[i] = value - signalEMA
            i += 1
        }
    }
}

/// Streaming MACD / MACDEXT, bit-identical to the batch functions.
struct MACDState: StreamingIndicator {
    private var fast: Delayed<MovingAverageState>
    private var slow: Delayed<MovingAverageState>
    private var signal: MovingAverageState
    private let lineStart: Int
    private let begin: Int
    private var index = -1

    /// - Parameters: the two averages of the line, each delayed so both start at `lineStart`.
    init(
        fast: (MovingAverageType, Int), slow: (MovingAverageType, Int), signal: (MovingAverageType, Int),
        lineStart: Int
    ) {
        self.fast = Delayed(
            MovingAverageState(fast.0, period: fast.1), skip: lineStart - TA.maLookback(fast.0, fast.1))
        self.slow = Delayed(
            MovingAverageState(slow.0, period: slow.1), skip: lineStart - TA.maLookback(slow.0, slow.1))
        self.signal = MovingAverageState(signal.0, period: signal.1)
        self.lineStart = lineStart
        begin = lineStart + TA.maLookback(signal.0, signal.1)
    }

    /// TA-Lib's MACD: EMAs with the slow one's start.
    init(fast: Int, slow: Int, signal: Int) {
        let (fast, slow) = slow < fast ? (slow, fast) : (fast, slow)
        self.init(fast: (.ema, fast), slow: (.ema, slow), signal: (.ema, signal), lineStart: slow - 1)
    }

    mutating func update(_ bar: BarInput) -> IndicatorOutput {
        index += 1
        let f = fast.step(bar.close)
        let s = slow.step(bar.close)
        guard index >= lineStart else { return IndicatorOutput(.nan, .nan, .nan) }
        let line = f - s
        let signalValue = signal.step(line)
        guard index >= begin else { return IndicatorOutput(.nan, .nan, .nan) }
        return IndicatorOutput(line, signalValue, line - signalValue)
    }
}
