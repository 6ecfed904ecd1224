extension TA {
    /// Simple moving average, TA-Lib's `SMA` (lookback `period − 1`).
    public static func sma(_ x: [Double], period: Int = 30) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "SMA")
        return AlignedOutput.make(count: x.count, begin: period - 1) { out in
            withBase(x) { smaCore($0, count: x.count, period: period, out: out) }
        }
    }

    /// Writes SMA outputs at `period − 1..<count`. TA-Lib's running sum: add the newest, divide, then subtract
    /// the oldest — the order shows in the rounding.
    @inline(__always)
    static func smaCore(_ x: UnsafePointer<Double>, count: Int, period: Int, out: UnsafeMutablePointer<Double>) {
        guard count >= period else { return }
        var total = 0.0
        var i = 0
        while i < period - 1 {
            total += x[i]
            i += 1
        }
        let n = Double(period)
        var trailing = 0
        while i < count {
            total += x[i]
            let sum = total
            total -= x[trailing]
            trailing += 1
            out[i] = sum / n
            i += 1
        }
    }
}

/// Streaming SMA, bit-identical to `TA.sma`.
struct SMAState: ValueStepper {
    private var window: RingBuffer
    private var total = 0.0

    init(period: Int) { window = RingBuffer(capacity: period) }

    mutating func step(_ x: Double) -> Double {
        window.push(x)
        total += x
        guard window.isFull else { return .nan }
        let sum = total
        total -= window.oldest
        return sum / Double(window.capacity)
    }
}
