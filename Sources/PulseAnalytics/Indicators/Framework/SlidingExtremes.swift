/// The highest and lowest values of the last `period` inputs in O(1) amortised per push: two monotonic queues
/// of (index, value) in fixed-size rings, so pushing never allocates. Codable for checkpoints.
///
/// Equal values displace older ones; the extremes themselves are the window's true maximum and minimum, which is
/// all TA-Lib's scans produce.
struct SlidingExtremes: Sendable, Codable {
    let period: Int
    private var index = -1
    private var highs: MonotonicRing
    private var lows: MonotonicRing

    init(period: Int) {
        self.period = period
        highs = MonotonicRing(capacity: period)
        lows = MonotonicRing(capacity: period)
    }

    var isFull: Bool { index >= period - 1 }
    var highest: Double { highs.frontValue }
    var lowest: Double { lows.frontValue }

    @inline(__always)
    mutating func push(high: Double, low: Double) {
        index += 1
        let oldest = index - period + 1
        highs.push(index, high, oldest: oldest) { $0 <= $1 }
        lows.push(index, low, oldest: oldest) { $0 >= $1 }
    }
}

/// A deque of (index, value) in a ring of fixed capacity, kept monotonic by `push`.
struct MonotonicRing: Sendable, Codable {
    private var indices: [Int]
    private var values: [Double]
    private var head = 0
    private var size = 0

    init(capacity: Int) {
        indices = [Int](repeating: 0, count: max(capacity, 1))
        values = [Double](repeating: 0, count: max(capacity, 1))
    }

    var frontValue: Double { values[head] }

    /// Drops entries older than `oldest` from the front and entries `dominated(back, value)` from the back, then
    /// appends (index, value).
    @inline(__always)
    mutating func push(_ index: Int, _ value: Double, oldest: Int, dominated: (Double, Double) -> Bool) {
        let capacity = indices.count
        while size > 0 && indices[head] < oldest {
            head += 1
            if head == capacity { head = 0 }
            size -= 1
        }
        while size > 0 {
            var back = head + size - 1
            if back >= capacity { back -= capacity }
            guard dominated(values[back], value) else { break }
            size -= 1
        }
        var slot = head + size
        if slot >= capacity { slot -= capacity }
        indices[slot] = index
        values[slot] = value
        size += 1
    }
}

extension TA {
    /// Batch form of `SlidingExtremes`: calls `body(i, highest, lowest)` for every `i` in `period − 1..<count`,
    /// with the highest of `high` and lowest of `low` over the `period` values ending at `i`.
    ///
    /// Van Herk / Gil-Werman: the input is cut into blocks of `period`; a window spans the tail of one block and
    /// the head of the next, so its extreme is the better of a suffix extreme of the first (precomputed per block,
    /// in a buffer of `period`) and a running prefix extreme of the second. Three comparisons per value, no
    /// data-dependent branches, O(count) whatever the data.
    @inline(__always)
    static func slidingExtremes(
        high: UnsafePointer<Double>, low: UnsafePointer<Double>, count: Int, period: Int,
        _ body: (Int, Double, Double) -> Void
    ) {
        guard count >= period, period > 0 else { return }
        let suffixHigh = UnsafeMutablePointer<Double>.allocate(capacity: period + 1)
        let suffixLow = UnsafeMutablePointer<Double>.allocate(capacity: period + 1)
        defer {
            suffixHigh.deallocate()
            suffixLow.deallocate()
        }
        @inline(__always) func fillSuffixes(_ start: Int) {
            suffixHigh[period] = -.infinity
            suffixLow[period] = .infinity
            var j = period - 1
            while j >= 0 {
                let h = high[start + j]
                let l = low[start + j]
                suffixHigh[j] = h > suffixHigh[j + 1] ? h : suffixHigh[j + 1]
                suffixLow[j] = l < suffixLow[j + 1] ? l : suffixLow[j + 1]
                j -= 1
            }
        }
        fillSuffixes(0)
        body(period - 1, suffixHigh[0], suffixLow[0])
        var blockStart = period
        while blockStart < count {
            var prefixHigh = -Double.infinity
            var prefixLow = Double.infinity
            let blockEnd = min(blockStart + period, count)
            for i in blockStart..<blockEnd {
                let j = i - blockStart
                prefixHigh = high[i] > prefixHigh ? high[i] : prefixHigh
                prefixLow = low[i] < prefixLow ? low[i] : prefixLow
                let highest = suffixHigh[j + 1] > prefixHigh ? suffixHigh[j + 1] : prefixHigh
                let lowest = suffixLow[j + 1] < prefixLow ? suffixLow[j + 1] : prefixLow
                body(i, highest, lowest)
            }
            if blockEnd - blockStart == period { fillSuffixes(blockStart) }
            blockStart = blockEnd
        }
    }
}
