/// Batch kernels for PLUS_DM, MINUS_DM, PLUS_DI and MINUS_DI that run only the recurrences their output needs
/// (the streaming state runs all three). The arithmetic is `DirectionalMovementCore`'s, step for step.
enum DirectionalMovementBatch {
    /// This bar's raw +DM and −DM (TA-Lib's rules; at most one is non-zero).
    @inline(__always)
    static func raw(_ h: UnsafePointer<Double>, _ l: UnsafePointer<Double>, _ i: Int) -> (plus: Double, minus: Double) {
        DirectionalMovementCore.movement(up: h[i] - h[i - 1], down: l[i - 1] - l[i])
    }

    static func run(
        _ output: DirectionalMovementState.Output, period: Int, high: [Double], low: [Double], close: [Double]
    ) -> [Double] {
        let n = close.count
        let plus = output == .plusDM || output == .plusDI
        let readsRange = output == .plusDI || output == .minusDI
        let begin = readsRange ? period : max(period - 1, 1)
        return AlignedOutput.make(count: n, begin: begin) { out in
            withBases(high, low, close) { h, l, c in
                @inline(__always) func dm(_ i: Int) -> Double {
                    let r = raw(h, l, i)
                    return plus ? r.plus : r.minus
                }
                @inline(__always) func tr(_ i: Int) -> Double {
                    OHLC.trueRange(high: h[i], low: l[i], prevClose: c[i - 1])
                }
                if period == 1 {
                    for i in 1..<n {
                        let x = dm(i)
                        if readsRange {
                            let range = tr(i)
                            out[i] = x == 0 || range == 0 ? 0 : x / range
                        } else {
                            out[i] = x
                        }
                    }
                    return
                }
                // Sums of bars 1…N−1, then Wilder's smoothing; separate loops keep the serial chain short.
                let p = Double(period)
                var sum = 0.0
                var range = 0.0
                for i in 1..<period {
                    sum += dm(i)
                    if readsRange { range += tr(i) }
                }
                if readsRange {
                    for i in period..<n {
                        sum = sum - sum / p + dm(i)
                        range = range - range / p + tr(i)
                        out[i] = range != 0 ? 100.0 * (sum / range) : 0
                    }
                } else {
                    out[period - 1] = sum
                    for i in period..<n {
                        sum = sum - sum / p + dm(i)
                        out[i] = sum
                    }
                }
            }
        }
    }
}
