extension TA {
    /// ATR, Average True Range (Wilder): the first value is the mean of the first `timePeriod` true ranges
    /// (bars 1…N), then `atr = w·atr + (1 − w)·tr` with `w = (N − 1)/N`, fused as TA-Lib 0.8 does. Lookback N.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 1...100000.
    public static func atr(
        high: [Double], low: [Double], close: [Double], timePeriod: Int = 14
    ) throws(IndicatorError) -> [Double] {
        try averageTrueRange(
            high: high, low: low, close: close, timePeriod: timePeriod, function: "ATR", normalized: false)
    }

    /// NATR, Normalized Average True Range: `ATR / close · 100` (0 when the close is 0). Lookback N.
    /// With N = 1 TA-Lib returns the true range itself (not normalised); so does this.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 1...100000.
    public static func natr(
        high: [Double], low: [Double], close: [Double], timePeriod: Int = 14
    ) throws(IndicatorError) -> [Double] {
        try averageTrueRange(
            high: high, low: low, close: close, timePeriod: timePeriod, function: "NATR", normalized: true)
    }

    private static func averageTrueRange(
        high: [Double], low: [Double], close: [Double], timePeriod: Int, function: String, normalized: Bool
    ) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 1...100_000, function: function)
        try OHLC.checkLengths([high.count, low.count, close.count], function: function)
        let n = close.count
        let period = timePeriod
        // One pass: the true ranges are independent work that overlaps the serial recurrence. Same operations,
        // same order as `AverageTrueRangeCore`.
        return AlignedOutput.make(count: n, begin: period) { out in
            withBases(high, low, close) { h, l, c in
                var sum = 0.0
                for i in 1...period { sum += OHLC.trueRange(high: h[i], low: l[i], prevClose: c[i - 1]) }
                var atr = sum / Double(period)
                out[period] = atr
                let w = (Double(period) - 1) / Double(period)
                let rest = 1 - w
                // NATR scales each block while it is still in L1 rather than in a second pass over the output.
                let scaled = normalized && period > 1
                var start = period
                while start < n {
                    let end = min(start &+ 512, n)
                    var i = max(start, period &+ 1)
                    while i < end {
                        let tr = OHLC.trueRange(high: h[i], low: l[i], prevClose: c[i &- 1])
                        atr = (tr * rest).addingProduct(w, atr)
                        out[i] = atr
                        i &+= 1
                    }
                    if scaled { normalize(out, c, start, end) }
                    start = end
                }
            }
        }
    }
}

/// NATR's scaling of `out[start..<end]` in place: ATR / close · 100, 0 where the close is 0.
@inline(never)
private func normalize(_ out: UnsafeMutablePointer<Double>, _ c: UnsafePointer<Double>, _ start: Int, _ end: Int) {
    var i = start
    while i < end {
        out[i] = c[i] == 0 ? 0 : (out[i] / c[i]) * 100
        i &+= 1
    }
}

/// The ATR recurrence shared by batch, streaming, ATR and NATR, so all four give the same bits.
struct AverageTrueRangeCore: Codable, Sendable {
    let timePeriod: Int
    private var index = 0
    private var prevClose = 0.0
    private var sum = 0.0
    private var atr = Double.nan

    init(timePeriod: Int) { self.timePeriod = timePeriod }

    @inline(__always)
    mutating func update(high: Double, low: Double, close: Double) -> Double {
        defer {
            prevClose = close
            index += 1
        }
        guard index > 0 else { return .nan }
        let tr = OHLC.trueRange(high: high, low: low, prevClose: prevClose)
        if index < timePeriod {
            sum += tr
            return .nan
        }
        if index == timePeriod {
            sum += tr
            atr = sum / Double(timePeriod)
        } else {
            let n = Double(timePeriod)
            let w = (n - 1) / n
            atr = (tr * (1 - w)).addingProduct(w, atr)
        }
        return atr
    }

    /// NATR's value: ATR/close·100, except that with period 1 TA-Lib returns the true range unscaled.
    @inline(__always)
    func normalize(_ atr: Double, close: Double) -> Double {
        guard !atr.isNaN, timePeriod > 1 else { return atr }
        return close == 0 ? 0 : (atr / close) * 100
    }
}

/// Streaming ATR.
public struct ATRState: StreamingIndicator {
    private var core: AverageTrueRangeCore

    /// - Throws: `IndicatorError` unless `timePeriod` is in 1...100000.
    public init(timePeriod: Int = 14) throws(IndicatorError) {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 1...100_000, function: "ATR")
        core = AverageTrueRangeCore(timePeriod: timePeriod)
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(core.update(high: bar.high, low: bar.low, close: bar.close))
    }
}

/// Streaming NATR.
public struct NATRState: StreamingIndicator {
    private var core: AverageTrueRangeCore

    /// - Throws: `IndicatorError` unless `timePeriod` is in 1...100000.
    public init(timePeriod: Int = 14) throws(IndicatorError) {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 1...100_000, function: "NATR")
        core = AverageTrueRangeCore(timePeriod: timePeriod)
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        let atr = core.update(high: bar.high, low: bar.low, close: bar.close)
        return IndicatorOutput(core.normalize(atr, close: bar.close))
    }
}
