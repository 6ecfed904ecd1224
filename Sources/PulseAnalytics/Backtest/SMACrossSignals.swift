/// The `sma-cross` strategy computed directly, exactly as backtesting.py's SmaCross example: long when the
/// fast simple moving average of the close crosses strictly above the slow one, short when it crosses below.
///
/// The averages are pandas' `rolling(n).mean()` reproduced step for step (Kahan-compensated running sums),
/// so near-ties resolve as they do in backtesting.py.
public enum SMACrossSignals {
    /// Signals for `bars`; `fast` and `slow` are window lengths of at least 1.
    public static func make(close: [Double], fast: Int, slow: Int) throws(BacktestError) -> StrategySignals {
        guard fast >= 1, slow >= 1 else {
            throw BacktestError(.invalidInput, "sma-cross windows must be at least 1 (fast=\(fast), slow=\(slow))")
        }
        return make(fastAverage: rollingMean(close, window: fast), slowAverage: rollingMean(close, window: slow))
    }

    /// Signals from two precomputed averages (the optimiser shares them across a grid).
    public static func make(fastAverage a: [Double], slowAverage b: [Double]) -> StrategySignals {
        let n = a.count
        var signals = StrategySignals(count: n)
        for i in 1..<max(1, n) {
            if a[i - 1] < b[i - 1] && a[i] > b[i] {
                signals.longEntry[i] = true
            } else if b[i - 1] < a[i - 1] && b[i] > a[i] {
                signals.shortEntry[i] = true
            }
        }
        signals.warmupBars = max(warmup(a), warmup(b))
        return signals
    }

    /// backtesting.py's warm-up of one indicator: the index of its first defined value (0 if none is).
    static func warmup(_ values: [Double]) -> Int { values.firstIndex { !$0.isNaN } ?? 0 }

    /// pandas' `Series.rolling(window).mean()` (min_periods = window), bit for bit.
    public static func rollingMean(_ values: [Double], window: Int) -> [Double] {
        var output = [Double](repeating: .nan, count: values.count)
        var observations = 0
        var sum = 0.0
        var negatives = 0
        var addCompensation = 0.0
        var removeCompensation = 0.0
        var sameRun = 0
        var previous = values.first ?? .nan
        for i in values.indices {
            if i >= window {
                let old = values[i - window]
                if !old.isNaN {
                    observations -= 1
                    let y = -old - removeCompensation
                    let t = sum + y
                    removeCompensation = t - sum - y
                    sum = t
                    if old < 0 { negatives -= 1 }
                }
            }
            let value = values[i]
            if !value.isNaN {
                observations += 1
                let y = value - addCompensation
                let t = sum + y
                addCompensation = t - sum - y
                sum = t
                if value < 0 { negatives += 1 }
                sameRun = value == previous ? sameRun + 1 : 1
                previous = value
            }
            if observations >= window && observations > 0 {
                var result = sum / Double(observations)
                if sameRun >= observations {
                    result = previous
                } else if negatives == 0 && result < 0 {
                    result = 0
                } else if negatives == observations && result > 0 {
                    result = 0
                }
                output[i] = result
            }
        }
        return output
    }
}
