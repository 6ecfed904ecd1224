/// Sliding-window highest high and lowest low in O(1) per bar without data-dependent branches (van Herk /
/// Gil-Werman): the series is cut into blocks of `window` bars; a window ending at bar i is the suffix of one
/// block plus the prefix of the next, so its extreme is max(suffix extreme, prefix extreme). Suffixes are kept
/// for two blocks only, so the scratch space is 4·window doubles. Extremes are exact, so the values equal
/// `WindowExtreme`'s and TA-Lib's.
enum RangeScan {
    /// Calls `body(i, highest, lowest)` for every bar from `window − 1` on, over `i − window + 1 … i`.
    @inline(__always)
    static func run(
        high: UnsafePointer<Double>, low: UnsafePointer<Double>, count: Int, window: Int,
        _ body: (_ i: Int, _ highest: Double, _ lowest: Double) -> Void
    ) {
        guard window >= 1, count >= window else { return }
        let slots = 2 * window
        let suffixHigh = UnsafeMutablePointer<Double>.allocate(capacity: slots)
        let suffixLow = UnsafeMutablePointer<Double>.allocate(capacity: slots)
        defer {
            suffixHigh.deallocate()
            suffixLow.deallocate()
        }
        var start = 0
        while start < count {
            let end = min(start + window, count)
            // This block's suffix extremes, in the half of the scratch it owns.
            let base = start % slots - start
            var h = high[end - 1]
            var l = low[end - 1]
            suffixHigh[base + end - 1] = h
            suffixLow[base + end - 1] = l
            var k = end - 2
            while k >= start {
                h = max(h, high[k])
                l = min(l, low[k])
                suffixHigh[base + k] = h
                suffixLow[base + k] = l
                k -= 1
            }
            // Prefix extremes, combined with the suffix of the window's first bar (this block or the previous).
            var prefixHigh = -Double.infinity
            var prefixLow = Double.infinity
            for i in start..<end {
                prefixHigh = max(prefixHigh, high[i])
                prefixLow = min(prefixLow, low[i])
                if i >= window - 1 {
                    let first = (i - window + 1) % slots
                    body(i, max(suffixHigh[first], prefixHigh), min(suffixLow[first], prefixLow))
                }
            }
            start = end
        }
    }
}
