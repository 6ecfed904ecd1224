extension TA {
    /// MFI, Money Flow Index: with typical price tp = (high + low + close)/3 and money flow tp·volume counted as
    /// positive when tp rose and negative when it fell, 100 · Σpositive/(Σpositive + Σnegative) over N bars
    /// (TA-Lib 0.8's rules: a typical-price change within 1e-14 relative is no change, a sum left slightly
    /// negative by rounding counts as 0, and a window without any flow gives 0 and restarts the sums). Lookback N.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public static func mfi(
        high: [Double], low: [Double], close: [Double], volume: [Double], timePeriod: Int = 14
    ) throws(IndicatorError) -> [Double] {
        let state = try MFIState(timePeriod: timePeriod)
        try OHLC.checkLengths([high.count, low.count, close.count, volume.count], function: "MFI")
        return withBases(high, low, close, volume) { h, l, c, v in
            OHLC.fill(close.count, state) { s, i in s.next(high: h[i], low: l[i], close: c[i], volume: v[i]) }
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
        let change = typical - prevTypical
        let flow = typical * volume
        var (up, down) = (0.0, 0.0)
        if abs(change) <= 1e-14 * (abs(typical) + abs(prevTypical)) {
            // TA-Lib 0.8 treats a change lost in rounding as no change.
        } else if change < 0 {
            down = flow
            negativeSum += flow
        } else if change > 0 {
            up = flow
            positiveSum += flow
        }
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
        // Rounding residue can leave a sum slightly negative; TA-Lib 0.8 counts it as 0.
        let inflow = max(positiveSum, 0)
        let total = inflow + max(negativeSum, 0)
        return total <= 0 ? 0 : 100.0 * (inflow / total)
    }
}
