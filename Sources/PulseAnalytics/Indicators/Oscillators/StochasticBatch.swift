/// The batch form of STOCH and STOCHF, as TA-Lib computes it: fast %K over the whole series first (rolling
/// extremes by `ExtremeScan`), then each moving average over the previous line's valid part with the close-only
/// family's MA kernels — the same values `StochasticState` produces bar by bar.
enum StochasticBatch {
    /// - Parameters:
    ///   - kAverage: slow %K's average (STOCH), or nil for STOCHF, whose first output is fast %K itself.
    ///   - dAverage: the %D average.
    static func run(
        high: [Double], low: [Double], close: [Double], fastKPeriod: Int,
        kAverage: (MovingAverageType, Int)?, dAverage: (MovingAverageType, Int)
    ) -> ([Double], [Double]) {
        let n = close.count
        let kLookback = kAverage.map { TA.maLookback($0.0, $0.1) } ?? 0
        let begin = fastKPeriod - 1 + kLookback + TA.maLookback(dAverage.0, dAverage.1)
        let valid = max(n - (fastKPeriod - 1), 0)
        // Fast %K for bars fastKPeriod − 1 …, stored from index 0.
        let fastK = [Double](unsafeUninitializedCapacity: valid) { buffer, initialized in
            withBases(high, low, close) { h, l, c in
                TA.slidingExtremes(high: h, low: l, count: n, period: fastKPeriod) { i, highest, lowest in
                    buffer[i - (fastKPeriod - 1)] = StochasticState.fastK(close: c[i], highest: highest, lowest: lowest)
                }
            }
            initialized = valid
        }
        let k: [Double]
        if let (type, period) = kAverage {
            k = withBase(fastK) { TA.maArray(type, $0, count: valid, period: period) }
        } else {
            k = fastK
        }
        let dCount = max(valid - kLookback, 0)
        let d = withBase(k) { TA.maArray(dAverage.0, $0 + min(kLookback, valid), count: dCount, period: dAverage.1) }
        // Both outputs start at the combined lookback, as in TA-Lib.
        let shiftK = fastKPeriod - 1
        let shiftD = fastKPeriod - 1 + kLookback
        return OHLC.output2(count: n, begin: begin) { kp, dp in
            for i in begin..<n {
                kp[i] = k[i - shiftK]
                dp[i] = d[i - shiftD]
            }
        }
    }
}
