extension TA {
    /// CCI, Commodity Channel Index: with typical price tp = (high + low + close)/3, its N-bar mean m and mean
    /// absolute deviation d, CCI = (tp − m)/(0.015·d), 0 when either is negligible (see `cciValue`). Like TA-Lib, the mean and deviation are
    /// summed afresh each bar (in ring order), so each bar costs O(N): a mean absolute deviation has no O(1)
    /// update that keeps TA-Lib's bits. Lookback N−1.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public static func cci(
        high: [Double], low: [Double], close: [Double], timePeriod: Int = 14
    ) throws(IndicatorError) -> [Double] {
        let state = try CCIState(timePeriod: timePeriod)
        try OHLC.checkLengths([high.count, low.count, close.count], function: "CCI")
        return AlignedOutput.make(count: close.count, begin: 0) { out in
            withBases(high, low, close) { h, l, c in
                var s = state
                for i in 0..<close.count { out[i] = s.next(high: h[i], low: l[i], close: c[i]) }
            }
        }
    }
}

extension TA {
    /// TA-Lib 0.8's CCI from tp − m, m and the sum of |tp − m|: 0 when the distance or the mean deviation is within
    /// 1e-14·|m| (relative to the mean alone, inclusive), or when 0.015·deviation is exactly 0.
    @inline(__always)
    static func cciValue(distance: Double, mean: Double, deviationSum: Double, period: Int) -> Double {
        let negligible = abs(mean) * 1e-14
        if negligible >= abs(distance) { return 0 }
        let deviation = deviationSum / Double(period)
        if negligible >= abs(deviation) { return 0 }
        let denominator = deviation * 0.015
        return denominator == 0 ? 0 : distance / denominator
    }
}

/// Streaming CCI (O(N) per bar, see `TA.cci`).
public struct CCIState: StreamingIndicator {
    private let period: Int
    /// Typical prices; the value of bar i sits at slot i mod N, TA-Lib's circular-buffer order.
    private var ring: [Double]
    private var position = 0
    private var seen = 0

    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public init(timePeriod: Int = 14) throws(IndicatorError) {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "CCI")
        period = timePeriod
        ring = [Double](repeating: 0, count: timePeriod)
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(next(high: bar.high, low: bar.low, close: bar.close))
    }

    mutating func next(high: Double, low: Double, close: Double) -> Double {
        let typical = (high + low + close) / 3
        ring[position] = typical
        position += 1
        if position == period { position = 0 }
        seen += 1
        guard seen >= period else { return .nan }
        return ring.withUnsafeBufferPointer { r in
            var mean = 0.0
            for j in 0..<period { mean += r[j] }
            mean /= Double(period)
            var deviation = 0.0
            for j in 0..<period { deviation += abs(r[j] - mean) }
            return TA.cciValue(distance: typical - mean, mean: mean, deviationSum: deviation, period: period)
        }
    }
}
