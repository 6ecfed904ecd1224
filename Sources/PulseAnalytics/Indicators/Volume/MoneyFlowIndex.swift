extension TA {
    /// MFI, Money Flow Index: with typical price tp = (high + low + close)/3 and money flow tp·volume counted as
    /// positive when tp rose and negative when it fell, 100 · Σpositive/(Σpositive + Σnegative) over N bars
    /// (TA-Lib 0.8's rules: a typical-price change within 1e-14 relative is no change, a sum left slightly
    /// negative by rounding counts as 0, and a window without any flow gives 0 and restarts the sums). Lookback N.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public static func mfi(
        high: [Double], low: [Double], close: [Double], volume: [Double], timePeriod: Int = 14
    ) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "MFI")
        try OHLC.checkLengths([high.count, low.count, close.count, volume.count], function: "MFI")
        return AlignedOutput.make(count: close.count, begin: timePeriod) { out in
            withBases(high, low, close, volume) { h, l, c, v in
                MFIState.batch(h, l, c, v, count: close.count, period: timePeriod, out: out)
            }
        }
    }
}

/// Streaming MFI: running positive and negative sums with a ring of the last N flows to subtract.
public struct MFIState: StreamingIndicator {
    private let period: Int
    private var positive: [Double]
    private var negative: [Double]
    private var position = 0
    private var count = 0
    private var prevTypical = 0.0
    private var positiveSum = 0.0
    private var negativeSum = 0.0
    /// Bars in the window with a non-zero flow.
    private var flowingBars = 0

    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public init(timePeriod: Int = 14) throws(IndicatorError) {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "MFI")
        period = timePeriod
        positive = [Double](repeating: 0, count: timePeriod)
        negative = [Double](repeating: 0, count: timePeriod)
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(next(high: bar.high, low: bar.low, close: bar.close, volume: bar.volume))
    }

    @inline(__always)
    mutating func next(high: Double, low: Double, close: Double, volume: Double) -> Double {
        let typical = (high + low + close) / 3
        defer {
            prevTypical = typical
            count += 1
        }
        guard count > 0 else { return .nan }
        if count > period {
            positiveSum -= positive[position]
            negativeSum -= negative[position]
            if positive[position] != 0 || negative[position] != 0 { flowingBars -= 1 }
        }
        let (up, down) = Self.flows(typical: typical, previous: prevTypical, volume: volume)
        positiveSum += up
        negativeSum += down
        positive[position] = up
        negative[position] = down
        if up != 0 || down != 0 { flowingBars += 1 }
        position += 1
        if position == period { position = 0 }
        guard count >= period else { return .nan }
        guard flowingBars > 0 else {
            // No flow in the window: TA-Lib 0.8 restarts the sums here, dropping their rounding residue.
            positiveSum = 0
            negativeSum = 0
            return 0
        }
        return Self.value(positiveSum: positiveSum, negativeSum: negativeSum)
    }

    /// The bar's positive and negative money flow (at most one is non-zero).
    @inline(__always)
    static func flows(typical: Double, previous: Double, volume: Double) -> (up: Double, down: Double) {
        let change = typical - previous
        // TA-Lib 0.8 treats a change lost in rounding as no change. Selects, not branches: the direction flips
        // unpredictably from bar to bar.
        let moved = abs(change) > 1e-14 * (abs(typical) + abs(previous))
        let flow = moved ? typical * volume : 0
        return (change > 0 ? flow : 0, change < 0 ? flow : 0)
    }

    /// Rounding residue can leave a sum slightly negative; TA-Lib 0.8 counts it as 0.
    @inline(__always)
    static func value(positiveSum: Double, negativeSum: Double) -> Double {
        let inflow = max(positiveSum, 0)
        let total = inflow + max(negativeSum, 0)
        return total <= 0 ? 0 : 100.0 * (inflow / total)
    }

    /// The batch kernel: the same steps with the flow ring in raw memory.
    static func batch(
        _ h: UnsafePointer<Double>, _ l: UnsafePointer<Double>, _ c: UnsafePointer<Double>,
        _ v: UnsafePointer<Double>, count n: Int, period: Int, out: UnsafeMutablePointer<Double>
    ) {
        let ups = UnsafeMutablePointer<Double>.allocate(capacity: period)
        let downs = UnsafeMutablePointer<Double>.allocate(capacity: period)
        defer {
            ups.deallocate()
            downs.deallocate()
        }
        var positiveSum = 0.0
        var negativeSum = 0.0
        var flowingBars = 0
        var position = 0
        var previous = (h[0] + l[0] + c[0]) / 3
        for i in 1..<n {
            let typical = (h[i] + l[i] + c[i]) / 3
            if i > period {
                let (oldUp, oldDown) = (ups[position], downs[position])
                positiveSum -= oldUp
                negativeSum -= oldDown
                flowingBars -= oldUp != 0 || oldDown != 0 ? 1 : 0
            }
            let (up, down) = flows(typical: typical, previous: previous, volume: v[i])
            previous = typical
            positiveSum += up
            negativeSum += down
            ups[position] = up
            downs[position] = down
            flowingBars += up != 0 || down != 0 ? 1 : 0
            position += 1
            if position == period { position = 0 }
            guard i >= period else { continue }
            if flowingBars == 0 {
                positiveSum = 0
                negativeSum = 0
                out[i] = 0
            } else {
                out[i] = value(positiveSum: positiveSum, negativeSum: negativeSum)
            }
        }
    }
}
