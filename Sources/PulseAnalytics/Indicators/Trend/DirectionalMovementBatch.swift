/// Batch kernels for PLUS_DM, MINUS_DM, PLUS_DI and MINUS_DI that run only the recurrences their output needs
/// (the streaming state runs all three). The arithmetic is `DirectionalMovementCore`'s, step for step.
enum DirectionalMovementBatch {
    /// This bar's raw +DM and −DM (TA-Lib's rules; at most one is non-zero).
    @inline(__always)
    static func raw(_ h: UnsafePointer<Double>, _ l: UnsafePointer<Double>, _ i: Int) -> (plus: Double, minus: Double) {
        let up = h[i] - h[i - 1]
        let down = l[i - 1] - l[i]
        return ((up > 0 && up > down) ? up : 0, (down > 0 && up < down) ? down : 0)
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
                let p = Double(period)
                var dm = 0.0
                var range = 0.0
                for i in 1..<n {
                    let r = raw(h, l, i)
                    let x = plus ? r.plus : r.minus
                    if !readsRange {
                        if period == 1 {
                            out[i] = x
                            continue
                        }
                        dm = i < period ? dm + x : dm - dm / p + x
                        if i >= period - 1 { out[i] = dm }
                        continue
                    }
                    let tr = OHLC.trueRange(high: h[i], low: l[i], prevClose: c[i - 1])
                    if period == 1 {
                        out[i] = x == 0 || tr == 0 ? 0 : x / tr
                        continue
                    }
                    if i < period {
                        dm += x
                        range += tr
                    } else {
                        dm = dm - dm / p + x
                        range = range - range / p + tr
                        out[i] = range != 0 ? 100.0 * (dm / range) : 0
                    }
                }
            }
        }
    }
}
