extension TA {
    /// MACD with selectable moving-average types, TA-Lib's `MACDEXT`. Both averages start where the slower one
    /// does (TA-Lib runs each from that index), the signal is an average of the line.
    public static func macdext(
        _ x: [Double], fast: Int = 12, fastType: MovingAverageType = .sma, slow: Int = 26,
        slowType: MovingAverageType = .sma, signal: Int = 9, signalType: MovingAverageType = .sma
    ) throws(IndicatorError) -> (macd: [Double], signal: [Double], histogram: [Double]) {
        try ParameterCheck.period(fast, "fastperiod", function: "MACDEXT")
        try ParameterCheck.maType(fastType, "fastmatype", function: "MACDEXT")
        try ParameterCheck.period(slow, "slowperiod", function: "MACDEXT")
        try ParameterCheck.maType(slowType, "slowmatype", function: "MACDEXT")
        try ParameterCheck.period(signal, "signalperiod", in: 1...100_000, function: "MACDEXT")
        try ParameterCheck.maType(signalType, "signalmatype", function: "MACDEXT")
        let ((fast, fastType), (slow, slowType)) =
            slow < fast ? ((slow, slowType), (fast, fastType)) : ((fast, fastType), (slow, slowType))
        let lineStart = max(maLookback(fastType, fast), maLookback(slowType, slow))
        return withBase(x) { base in
            macdOutputs(x.count, signalType: signalType, signal: signal) { line in
                guard lineStart < x.count else { return lineStart }
                let fastSkip = lineStart - maLookback(fastType, fast)
                let slowSkip = lineStart - maLookback(slowType, slow)
                let fastLine = maArray(fastType, base + fastSkip, count: x.count - fastSkip, period: fast)
                maCore(slowType, base + slowSkip, count: x.count - slowSkip, period: slow, out: line + slowSkip)
                for i in lineStart..<x.count { line[i] = fastLine[i - fastSkip] - line[i] }
                return lineStart
            }
        }
    }

    static func macdextState(_ a: IndicatorArguments) -> MACDState {
        var (fast, slow) = ((a.maType(1), a.int(0)), (a.maType(3), a.int(2)))
        if slow.1 < fast.1 { swap(&fast, &slow) }
        let lineStart = max(maLookback(fast.0, fast.1), maLookback(slow.0, slow.1))
        return MACDState(fast: fast, slow: slow, signal: (a.maType(5), a.int(4)), lineStart: lineStart)
    }
}
