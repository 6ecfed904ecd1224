/// Batch kernels for PLUS_DM, MINUS_DM, PLUS_DI and MINUS_DI that run only the recurrences their output needs
/// (the streaming state runs all three). The arithmetic is `DirectionalMovementCore`'s, step for step.
enum DirectionalMovementBatch {
    /// This bar's raw +DM and −DM (TA-Lib's rules; at most one is non-zero).
    @inline(__always)
    static func raw(_ h: UnsafePointer<Double>, _ l: UnsafePointer<Double>, _ i: Int) -> (plus: Double, minus: Double) {
        DirectionalMovementCore.movement(up: h[i] - h[i - 1], down: l[i - 1] - l[i])
    }

    /// Bars per block: the block's raw values stay in L1 between the two loops.
    static let chunk = 512

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
                if !readsRange { out[period - 1] = sum }
                // Blocks of `chunk` bars: first the raw +DM/−DM (into `out`) and true ranges, branch-free and
                // vectorised; then the serial recurrence alone, so unpredictable comparisons never stall it.
                withUnsafeTemporaryAllocation(of: Double.self, capacity: chunk) { ranges in
                    let tmp = ranges.baseAddress!
                    var start = period
                    while start < n {
                        let end = min(start &+ chunk, n)
                        if plus {
                            rawPlus(h, l, out, start, end)
                        } else {
                            rawMinus(h, l, out, start, end)
                        }
                        if readsRange {
                            trueRanges(h, l, c, tmp, start, end)
                            (sum, range) = smoothIndex(out, tmp, start, end, p, sum, range)
                        } else {
                            sum = smooth(out, start, end, p, sum)
                        }
                        start = end
                    }
                }
            }
        }
    }

    /// `out[i]` = bar i's raw +DM for i in `start..<end` (TA-Lib: up when up > 0 and up > down, else 0), four bars
    /// at a time with vector compares: the same selects as `DirectionalMovementCore.movement`, no branches.
    @inline(never)
    static func rawPlus(
        _ h: UnsafePointer<Double>, _ l: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>,
        _ start: Int, _ end: Int
    ) {
        rawMovement(h, l, out, start, end, plus: true)
    }

    /// `out[i]` = bar i's raw −DM for i in `start..<end` (down when down > 0 and down > up, else 0).
    @inline(never)
    static func rawMinus(
        _ h: UnsafePointer<Double>, _ l: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>,
        _ start: Int, _ end: Int
    ) {
        rawMovement(h, l, out, start, end, plus: false)
    }

    @inline(__always)
    private static func rawMovement(
        _ h: UnsafePointer<Double>, _ l: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>,
        _ start: Int, _ end: Int, plus: Bool
    ) {
        typealias V = SIMD4<Double>
        @inline(__always) func load(_ p: UnsafePointer<Double>, _ i: Int) -> V {
            UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
        }
        var i = start
        while i &+ 4 <= end {
            let up = load(h, i) - load(h, i &- 1)
            let down = load(l, i &- 1) - load(l, i)
            let (x, y) = plus ? (up, down) : (down, up)
            let value = V(repeating: 0).replacing(with: x, where: (x .> y) .& (x .> 0))
            UnsafeMutableRawPointer(out + i).storeBytes(of: value, as: V.self)
            i &+= 4
        }
        while i < end {
            let up = h[i] - h[i &- 1]
            let down = l[i &- 1] - l[i]
            let (x, y) = plus ? (up, down) : (down, up)
            out[i] = x > y && x > 0 ? x : 0
            i &+= 1
        }
    }

    /// `tmp[i − start]` = bar i's true range for i in `start..<end`.
    @inline(never)
    static func trueRanges(
        _ h: UnsafePointer<Double>, _ l: UnsafePointer<Double>, _ c: UnsafePointer<Double>,
        _ tmp: UnsafeMutablePointer<Double>, _ start: Int, _ end: Int
    ) {
        var i = start
        while i < end {
            tmp[i &- start] = OHLC.trueRange(high: h[i], low: l[i], prevClose: c[i &- 1])
            i &+= 1
        }
    }

    /// Wilder's smoothing over the raw values in `out[start..<end]`, replaced by the smoothed ones.
    @inline(never)
    static func smooth(
        _ out: UnsafeMutablePointer<Double>, _ start: Int, _ end: Int, _ p: Double, _ initial: Double
    ) -> Double {
        var sum = initial
        var i = start
        while i < end {
            sum = sum - sum / p + out[i]
            out[i] = sum
            i &+= 1
        }
        return sum
    }

    /// Both smoothings (directional movement in `out`, true range in `tmp`) and the index 100 · DM / TR.
    @inline(never)
    static func smoothIndex(
        _ out: UnsafeMutablePointer<Double>, _ tmp: UnsafePointer<Double>, _ start: Int, _ end: Int, _ p: Double,
        _ initialSum: Double, _ initialRange: Double
    ) -> (Double, Double) {
        var sum = initialSum
        var range = initialRange
        var i = start
        while i < end {
            sum = sum - sum / p + out[i]
            range = range - range / p + tmp[i &- start]
            out[i] = range != 0 ? 100.0 * (sum / range) : 0
            i &+= 1
        }
        return (sum, range)
    }
}
