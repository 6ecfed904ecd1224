/// Rolling maximum / minimum over the last `period` bars (including the current one) in O(n) with a monotonic
/// deque of indices. A window that is not yet full, or that contains a NaN, gives NaN (as pandas'
/// `rolling(n).max()` does).
enum WindowExtremes {
    static func highest(_ values: [Double], period: Int) -> [Double] { extreme(values, period: period, by: >=) }
    static func lowest(_ values: [Double], period: Int) -> [Double] { extreme(values, period: period, by: <=) }

    private static func extreme(_ values: [Double], period: Int, by dominates: (Double, Double) -> Bool) -> [Double] {
        let count = values.count
        var result = [Double](repeating: .nan, count: count)
        // The deque holds indices whose values are not dominated by a later value in the window, so its
        // front is the window's extreme. Stored in a flat array with a moving head: no per-bar allocation.
        var deque = [Int](repeating: 0, count: count)
        var head = 0
        var tail = 0
        var lastNaN = -1
        for i in 0..<count {
            let value = values[i]
            if value.isNaN {
                lastNaN = i
                head = tail
                continue
            }
            while tail > head && dominates(value, values[deque[tail - 1]]) { tail -= 1 }
            deque[tail] = i
            tail += 1
            while deque[head] <= i - period { head += 1 }
            if i >= period - 1 && i - lastNaN >= period { result[i] = values[deque[head]] }
        }
        return result
    }
}
