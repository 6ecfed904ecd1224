/// The maximum (or minimum) of the last `window` values and the index where it occurred, kept with a monotonic
/// deque: O(1) amortised per value whatever the data, where TA-Lib rescans its window when the extreme leaves it.
/// On ties the latest index wins, as in TA-Lib's AROON (`>=` / `<=` when tracking).
///
/// The deque lives in two ring arrays of `window` slots, allocated once; the struct is `Codable` so streaming
/// states that embed it can be checkpointed.
struct WindowExtreme: Codable, Sendable {
    /// Whether this tracks the maximum (`true`) or the minimum.
    let isMax: Bool
    let window: Int
    private var indices: [Int]
    private var values: [Double]
    private var head = 0
    private var count = 0

    init(window: Int, isMax: Bool) {
        self.window = window
        self.isMax = isMax
        indices = [Int](repeating: 0, count: window)
        values = [Double](repeating: 0, count: window)
    }

    /// Adds the value at `index` (indices must increase by one per call) and drops values that left the window.
    @inline(__always)
    mutating func push(_ index: Int, _ value: Double) {
        // Drop values dominated by the new one (they can never be the extreme again).
        while count > 0 {
            var last = head + count - 1
            if last >= window { last -= window }
            let dominated = isMax ? values[last] <= value : values[last] >= value
            guard dominated else { break }
            count -= 1
        }
        // Drop the front when it left the window.
        if count > 0, indices[head] <= index - window {
            head += 1
            if head == window { head = 0 }
            count -= 1
        }
        var slot = head + count
        if slot >= window { slot -= window }
        indices[slot] = index
        values[slot] = value
        count += 1
    }

    /// The extreme of the window (the last `window` values pushed).
    var extreme: Double { values[head] }
    /// The index of the extreme (the latest one on ties).
    var extremeIndex: Int { indices[head] }
}
