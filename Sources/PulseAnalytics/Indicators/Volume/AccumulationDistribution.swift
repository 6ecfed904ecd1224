extension TA {
    /// AD, Chaikin Accumulation/Distribution Line: the running sum of ((close − low) − (high − close))/(high − low)
    /// · volume, bars with high − low ≤ 0 adding nothing. Lookback 0.
    public static func ad(
        high: [Double], low: [Double], close: [Double], volume: [Double]
    ) throws(IndicatorError) -> [Double] {
        try OHLC.checkLengths([high.count, low.count, close.count, volume.count], function: "AD")
        return AlignedOutput.make(count: close.count, begin: 0) { out in
            withBases(high, low, close, volume) { h, l, c, v in
                var s = ADLine()
                for i in 0..<close.count { out[i] = s.next(high: h[i], low: l[i], close: c[i], volume: v[i]) }
            }
        }
    }

    /// ADOSC, Chaikin A/D Oscillator: EMA(fast) − EMA(slow) of the A/D line, both EMAs seeded with the first A/D
    /// value (TA-Lib's rule, not a mean). Lookback max(fast, slow) − 1.
    /// - Throws: `IndicatorError` unless both periods are in 2...100000.
    public static func adosc(
        high: [Double], low: [Double], close: [Double], volume: [Double], fastPeriod: Int = 3, slowPeriod: Int = 10
    ) throws(IndicatorError) -> [Double] {
        let state = try ADOSCState(fastPeriod: fastPeriod, slowPeriod: slowPeriod)
        try OHLC.checkLengths([high.count, low.count, close.count, volume.count], function: "ADOSC")
        return AlignedOutput.make(count: close.count, begin: state.lookback) { out in
            withBases(high, low, close, volume) { h, l, c, v in state.batch(h, l, c, v, count: close.count, out: out) }
        }
    }
}

/// The A/D line recurrence shared by AD and ADOSC.
struct ADLine: Codable, Sendable {
    private(set) var value = 0.0

    @inline(__always)
    mutating func next(high: Double, low: Double, close: Double, volume: Double) -> Double {
        let range = high - low
        if range > 0 {
            value += (((close - low) - (high - close)) / range) * volume
        }
        return value
    }
}

/// Streaming AD.
public struct ADState: StreamingIndicator {
    private var line = ADLine()

    public init() {}

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(line.next(high: bar.high, low: bar.low, close: bar.close, volume: bar.volume))
    }
}

/// Streaming ADOSC.
public struct ADOSCState: StreamingIndicator {
    private let fastK: Double
    private let slowK: Double
    let lookback: Int
    private var line = ADLine()
    private var fast = 0.0
    private var slow = 0.0
    private var count = 0

    /// - Throws: `IndicatorError` unless both periods are in 2...100000.
    public init(fastPeriod: Int = 3, slowPeriod: Int = 10) throws(IndicatorError) {
        try ParameterCheck.period(fastPeriod, "fastperiod", in: 2...100_000, function: "ADOSC")
        try ParameterCheck.period(slowPeriod, "slowperiod", in: 2...100_000, function: "ADOSC")
        fastK = 2.0 / Double(fastPeriod + 1)
        slowK = 2.0 / Double(slowPeriod + 1)
        lookback = max(fastPeriod, slowPeriod) - 1
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(next(high: bar.high, low: bar.low, close: bar.close, volume: bar.volume))
    }

    @inline(__always)
    mutating func next(high: Double, low: Double, close: Double, volume: Double) -> Double {
        let ad = line.next(high: high, low: low, close: close, volume: volume)
        defer { count += 1 }
        if count == 0 {
            fast = ad
            slow = ad
        } else {
            fast = (fastK * ad).addingProduct(1.0 - fastK, fast)
            slow = (slowK * ad).addingProduct(1.0 - slowK, slow)
        }
        return count >= lookback ? fast - slow : .nan
    }

    /// The batch kernel: the same recurrences with the per-bar bookkeeping hoisted out of the loop.
    func batch(
        _ h: UnsafePointer<Double>, _ l: UnsafePointer<Double>, _ c: UnsafePointer<Double>,
        _ v: UnsafePointer<Double>, count n: Int, out: UnsafeMutablePointer<Double>
    ) {
        var line = ADLine()
        let first = line.next(high: h[0], low: l[0], close: c[0], volume: v[0])
        var fast = first
        var slow = first
        let (fastRest, slowRest) = (1.0 - fastK, 1.0 - slowK)
        for i in 1..<n {
            let ad = line.next(high: h[i], low: l[i], close: c[i], volume: v[i])
            fast = (fastK * ad).addingProduct(fastRest, fast)
            slow = (slowK * ad).addingProduct(slowRest, slow)
            if i >= lookback { out[i] = fast - slow }
        }
    }
}
