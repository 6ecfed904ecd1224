extension TA {
    /// Simple moving average, TA-Lib's `SMA` (lookback `period − 1`).
    public static func sma(_ x: [Double], period: Int = 30) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(period, in: 1...100_000, function: "SMA")
        return AlignedOutput.make(count: x.count, begin: period - 1) { out in
            withBase(x) { smaCore($0, begin: period - 1, end: x.count, period: period, out: out) }
        }
    }

    /// Writes SMA outputs for indices `begin..<end` (`begin ≥ period − 1` counted from the first valid input).
    /// TA-Lib's running sum: add the newest, divide, then subtract the oldest — the order matters for rounding.
    @inline(__always)
    static func smaCore(
        _ x: UnsafePointer<Double>, begin: Int, end: Int, period: Int, out: UnsafeMutablePointer<Double>
    ) {
        var total = 0.0
        var trailing = begin - period + 1
        var i = trailing
        while i < begin {
            total += x[i]
            i += 1
        }
        let n = Double(period)
        while i < end {
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
