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
        return withBase(x) { base in
            macdOutputs(x.count, signalType: .ema, signal: signal) { line in
                guard x.count >= slow else { return slow - 1 }
                let skip = slow - fast
                var fastLine = [Double](repeating: .nan, count: x.count)
                fastLine.withUnsafeMutableBufferPointer { f in
                    emaCore(base + skip, count: x.count - skip, period: fast, out: f.baseAddress! + skip)
                }
                emaCore(base, count: x.count, period: slow, out: line)
                for i in (slow - 1)..<x.count { line[i] = fastLine[i] - line[i] }
                return slow - 1
            }
        }
    }

    /// Shared tail of MACD and MACDEXT: `fill` writes the MACD line (from the index it returns) into a buffer;
    /// the signal is a moving average of it from there; every output starts once the signal does.
    static func macdOutputs(
        _ count: Int, signalType: MovingAverageType, signal: Int,
        fill: (UnsafeMutablePointer<Double>) -> Int
    ) -> (macd: [Double], signal: [Double], histogram: [Double]) {
        var line = [Double](repeating: .nan, count: count)
        var lineStart = 0
        line.withUnsafeMutableBufferPointer { lineStart = fill($0.baseAddress!) }
        let begin = lineStart + maLookback(signalType, signal)
        guard begin < count else {
            return (AlignedOutput.empty(count), AlignedOutput.empty(count), AlignedOutput.empty(count))
        }
        let signalLine = AlignedOutput.make(count: count, begin: begin) { out in
            withBase(line) { l in
                maCore(signalType, l + lineStart, count: count - lineStart, period: signal, out: out + lineStart)
            }
        }
        for i in lineStart..<begin { line[i] = .nan }
        let histogram = AlignedOutput.make(count: count, begin: begin) { out in
            for i in begin..<count { out[i] = line[i] - signalLine[i] }
        }
        return (line, signalLine, histogram)
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
