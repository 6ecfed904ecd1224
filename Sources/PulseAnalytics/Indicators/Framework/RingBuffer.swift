/// A fixed-capacity window of the latest values, Codable for checkpoints. `push` is O(1).
struct RingBuffer: Sendable, Codable, Equatable {
    private(set) var storage: [Double]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) { storage = [Double](repeating: 0, count: max(capacity, 1)) }

    var capacity: Int { storage.count }
    var isFull: Bool { count == storage.count }

    /// Appends `value`; when full, drops and returns the oldest value.
    @discardableResult
    mutating func push(_ value: Double) -> Double? {
        if count < storage.count {
            storage[(head + count) % storage.count] = value
            count += 1
            return nil
        }
        let oldest = storage[head]
        storage[head] = value
        head = head + 1 == storage.count ? 0 : head + 1
        return oldest
    }

    /// The value `age` steps back: `self[0]` is the oldest kept, `self[count - 1]` the newest.
    subscript(index: Int) -> Double {
        storage[(head + index) % storage.count]
    }

    /// The oldest value kept.
    var oldest: Double { storage[head] }
}

/// A streaming state over one series of values (the building block the close-only indicators compose).
protocol ValueStepper: Sendable, Codable {
    /// Feeds the next value; returns the output for it (NaN during the lookback).
    mutating func step(_ x: Double) -> Double
}
