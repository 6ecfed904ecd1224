/// The highest and lowest values of the last `period` inputs, in O(1) amortised per push (monotonic queues of
/// indices, ties resolved like TA-Lib's scan: only strictly greater/smaller values displace older ones, which
/// does not change the extreme values themselves). Codable for checkpoints.
struct SlidingExtremes: Sendable, Codable {
    let period: Int
    private var index = -1
    /// (index, value) pairs, values decreasing for the maximum queue, increasing for the minimum one.
    private var maxIndices: [Int] = []
    private var maxValues: [Double] = []
    private var maxHead = 0
    private var minIndices: [Int] = []
    private var minValues: [Double] = []
    private var minHead = 0

    init(period: Int) { self.period = period }

    var isFull: Bool { index >= period - 1 }
    var highest: Double { maxValues[maxHead] }
    var lowest: Double { minValues[minHead] }

    mutating func push(high: Double, low: Double) {
        index += 1
        let oldest = index - period + 1
        while maxIndices.count > maxHead, !(maxValues[maxValues.count - 1] > high) {
            maxIndices.removeLast()
            maxValues.removeLast()
        }
        maxIndices.append(index)
        maxValues.append(high)
        while maxIndices[maxHead] < oldest { maxHead += 1 }
        while minIndices.count > minHead, !(minValues[minValues.count - 1] < low) {
            minIndices.removeLast()
            minValues.removeLast()
        }
        minIndices.append(index)
        minValues.append(low)
        while minIndices[minHead] < oldest { minHead += 1 }
        compact()
    }

    /// Drops consumed queue heads now and then, keeping memory bounded by the period.
    private mutating func compact() {
        if maxHead > 64 && maxHead * 2 > maxIndices.count {
            maxIndices.removeFirst(maxHead)
            maxValues.removeFirst(maxHead)
            maxHead = 0
        }
        if minHead > 64 && minHead * 2 > minIndices.count {
            minIndices.removeFirst(minHead)
            minValues.removeFirst(minHead)
            minHead = 0
        }
    }
}
