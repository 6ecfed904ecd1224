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
        let valid = n - (fastKPeriod - 1)
        return OHLC.output2(count: n, begin: begin) { kOut, dOut in
            withBases(high, low, close) { h, l, c in
                // Fast %K lands in the slow %K output (STOCHF) or a scratch buffer (STOCH), from bar fastK − 1.
                let fastK =
                    kAverage == nil
                    ? kOut + (fastKPeriod - 1) : UnsafeMutablePointer<Double>.allocate(capacity: valid)
                defer { if kAverage != nil { fastK.deallocate() } }
                TA.slidingExtremes(high: h, low: l, count: n, period: fastKPeriod) { i, highest, lowest in
                    fastK[i - (fastKPeriod - 1)] = StochasticState.fastK(close: c[i], highest: highest, lowest: lowest)
                }
                // Each average writes its valid part in place, aligned with its input.
                let k = kOut + (fastKPeriod - 1)
                if let (type, period) = kAverage {
                    TA.maCore(type, fastK, count: valid, period: period, out: k)
                }
                TA.maCore(
                    dAverage.0, k + kLookback, count: valid - kLookback, period: dAverage.1,
                    out: dOut + (fastKPeriod - 1 + kLookback))
                // TA-Lib starts both outputs at the combined lookback.
                for i in (fastKPeriod - 1)..<begin { kOut[i] = .nan }
            }
        }
    }
}
