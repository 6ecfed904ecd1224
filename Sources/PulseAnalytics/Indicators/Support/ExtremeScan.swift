/// TA-Lib's batch tracking of the highest high and lowest low over a sliding window: keep the extreme's index,
/// update it when a new bar ties or beats it, and rescan the window only when the extreme leaves it. Amortised
/// O(1) per bar on market data (a rescan needs the extreme to age out, which takes `window` bars); it finds the
/// same values as `WindowExtreme`'s deque and, on ties, the same (latest) index.
enum ExtremeScan {
    /// Calls `body(today, highestIndex, lowestIndex)` for every bar from `window − 1` on, the indices being
    /// those of the highest `high` and lowest `low` in `today − window + 1 … today`.
    @inline(__always)
    static func run(
        high: UnsafePointer<Double>, low: UnsafePointer<Double>, count: Int, window: Int,
        _ body: (_ today: Int, _ highestIndex: Int, _ lowestIndex: Int) -> Void
    ) {
        guard window >= 1, count >= window else { return }
        var highestIndex = -1
        var lowestIndex = -1
        var highest = 0.0
        var lowest = 0.0
        for today in (window - 1)..<count {
            let trailing = today - window + 1
            let h = high[today]
            if highestIndex < trailing {
                highestIndex = trailing
                highest = high[trailing]
                var j = trailing + 1
                while j <= today {
                    if high[j] >= highest {
                        highestIndex = j
                        highest = high[j]
                    }
                    j += 1
                }
            } else if h >= highest {
                highestIndex = today
                highest = h
            }
            let l = low[today]
            if lowestIndex < trailing {
                lowestIndex = trailing
                lowest = low[trailing]
                var j = trailing + 1
                while j <= today {
                    if low[j] <= lowest {
                        lowestIndex = j
                        lowest = low[j]
                    }
                    j += 1
                }
            } else if l <= lowest {
                lowestIndex = today
                lowest = l
            }
            body(today, highestIndex, lowestIndex)
        }
    }
}
