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
        // With EMAs throughout, TA-Lib's MACDEXT runs exactly MACD's arithmetic (same seeding, same start), so
        // take its single fused pass; a signal period of 1 differs (TA_MA copies the line) and stays generic.
        if fastType == .ema && slowType == .ema && signalType == .ema && signal > 1 {
            return try macd(x, fast: fast, slow: slow, signal: signal)
        }
        let count = x.count
        let lineStart = max(maLookback(fastType, fast), maLookback(slowType, slow))
        let begin = lineStart + maLookback(signalType, signal)
        guard begin < count else {
            return (AlignedOutput.empty(count), AlignedOutput.empty(count), AlignedOutput.empty(count))
        }
        let fastSkip = lineStart - maLookback(fastType, fast)
        let slowSkip = lineStart - maLookback(slowType, slow)
        let (line, signalLine, histogram) = AlignedOutput.make3(count: count, begin: begin) { line, signalOut, hist in
            withBase(x) { x in
                // The fast average goes into the signal's storage and the slow one into the line's; the line
                // becomes fast − slow, then the signal overwrites the fast average it no longer needs.
                maCore(fastType, x + fastSkip, count: count - fastSkip, period: fast, out: signalOut + fastSkip)
                maCore(slowType, x + slowSkip, count: count - slowSkip, period: slow, out: line + slowSkip)
            }
            for i in lineStart..<count { line[i] = signalOut[i] - line[i] }
            maCore(signalType, line + lineStart, count: count - lineStart, period: signal, out: signalOut + lineStart)
            for i in begin..<count { hist[i] = line[i] - signalOut[i] }
            for i in lineStart..<begin {
                line[i] = .nan
                signalOut[i] = .nan
            }
        }
        return (line, signalLine, histogram)
    }

    static func macdextState(_ a: IndicatorArguments) -> MACDState {
        var (fast, slow) = ((a.maType(1), a.int(0)), (a.maType(3), a.int(2)))
        if slow.1 < fast.1 { swap(&fast, &slow) }
        let lineStart = max(maLookback(fast.0, fast.1), maLookback(slow.0, slow.1))
        return MACDState(fast: fast, slow: slow, signal: (a.maType(5), a.int(4)), lineStart: lineStart)
    }
}
