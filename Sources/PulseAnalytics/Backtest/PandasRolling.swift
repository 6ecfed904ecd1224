/// pandas' rolling mean reproduced step for step, for strategies that must agree with backtesting.py (whose
/// `SMA` is `pd.Series(x).rolling(n).mean()`): its Kahan-compensated running sum rounds differently from
/// TA-Lib's SMA, and on exact ties (two averages equal in decimal) the last bit decides a crossover. On GOOG,
/// TA-Lib's SMA flips 2 of 340 SMA-cross parameter pairs (fast 5/slow 25 on 2010-08-18; fast 8/slow 5 on
/// 2005-12-29); this mean flips none.
public enum PandasRolling {
    /// pandas' `Series.rolling(window).mean()` (min_periods = window), bit for bit.
    public static func mean(_ values: [Double], window: Int) -> [Double] {
        var output = [Double](repeating: .nan, count: values.count)
        guard window >= 1 else { return output }
        values.withUnsafeBufferPointer { v in
            output.withUnsafeMutableBufferPointer { out in
                var observations = 0
                var sum = 0.0
                var negatives = 0
                var addCompensation = 0.0
                var removeCompensation = 0.0
                var sameRun = 0
                var previous = v.first ?? .nan
                for i in 0..<v.count {
                    if i >= window {
                        let old = v[i - window]
                        if !old.isNaN {
                            observations -= 1
                            let y = -old - removeCompensation
                            let t = sum + y
                            removeCompensation = t - sum - y
                            sum = t
                            if old < 0 { negatives -= 1 }
                        }
                    }
                    let value = v[i]
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
                    if observations >= window {
                        var result = sum / Double(observations)
                        if sameRun >= observations {
                            result = previous
                        } else if negatives == 0 && result < 0 {
                            result = 0
                        } else if negatives == observations && result > 0 {
                            result = 0
                        }
                        out[i] = result
                    }
                }
            }
        }
        return output
    }
}
