extension TA {
    /// ULTOSC, Ultimate Oscillator: with buying pressure bp = close − min(low, previous close) and the true
    /// range tr, 100 · (4·A₁ + 2·A₂ + A₃)/7 where Aₖ = Σbp/Σtr over the k-th shortest period (a term is dropped
    /// when its Σtr is 0). The three periods are sorted first, as TA-Lib does. Lookback: the longest period.
    /// - Throws: `IndicatorError` unless every period is in 1...100000.
    public static func ultosc(
        high: [Double], low: [Double], close: [Double], timePeriod1: Int = 7, timePeriod2: Int = 14,
        timePeriod3: Int = 28
    ) throws(IndicatorError) -> [Double] {
        let state = try ULTOSCState(timePeriod1: timePeriod1, timePeriod2: timePeriod2, timePeriod3: timePeriod3)
        try OHLC.checkLengths([high.count, low.count, close.count], function: "ULTOSC")
        return AlignedOutput.make(count: close.count, begin: state.lookback) { out in
            withBases(high, low, close) { h, l, c in state.batch(h, l, c, count: close.count, out: out) }
        }
    }
}

/// Streaming ULTOSC: running sums over the three windows, with rings of the last terms to subtract.
public struct ULTOSCState: StreamingIndicator {
    /// Running sums of buying pressure and true range over one window.
    struct Window: Codable, Sendable {
        let period: Int
        var pressure = 0.0
        var range = 0.0
    }

    /// The windows, shortest first (TA-Lib sorts the periods; weights 4, 2, 1).
    private var short: Window
    private var medium: Window
    private var long: Window
    /// The last `long.period + 1` buying pressures and true ranges, at slot i mod slots.
    private var pressure: [Double]
    private var range: [Double]
    private var count = 0
    private var prevClose = 0.0

    /// - Throws: `IndicatorError` unless every period is in 1...100000.
    public init(timePeriod1: Int = 7, timePeriod2: Int = 14, timePeriod3: Int = 28) throws(IndicatorError) {
        try ParameterCheck.period(timePeriod1, "timeperiod1", in: 1...100_000, function: "ULTOSC")
        try ParameterCheck.period(timePeriod2, "timeperiod2", in: 1...100_000, function: "ULTOSC")
        try ParameterCheck.period(timePeriod3, "timeperiod3", in: 1...100_000, function: "ULTOSC")
        let sorted = [timePeriod1, timePeriod2, timePeriod3].sorted()
        short = Window(period: sorted[0])
        medium = Window(period: sorted[1])
        long = Window(period: sorted[2])
        pressure = [Double](repeating: 0, count: sorted[2] + 1)
        range = [Double](repeating: 0, count: sorted[2] + 1)
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(next(high: bar.high, low: bar.low, close: bar.close))
    }

    /// The longest period: the bars before the first output.
    var lookback: Int { long.period }

    /// The batch kernel, as TA-Lib does it: the terms of the bar leaving each window are recomputed from the
    /// input (the same operations give the same values) instead of kept in a ring.
    func batch(
        _ h: UnsafePointer<Double>, _ l: UnsafePointer<Double>, _ c: UnsafePointer<Double>, count n: Int,
        out: UnsafeMutablePointer<Double>
    ) {
        @inline(__always) func terms(_ j: Int) -> (bp: Double, tr: Double) {
            (c[j] - min(l[j], c[j - 1]), OHLC.trueRange(high: h[j], low: l[j], prevClose: c[j - 1]))
        }
        var short = short
        var medium = medium
        var long = long
        let longest = long.period
        for i in 1..<min(longest, n) {
            let (bp, tr) = terms(i)
            if i > longest - short.period { Self.add(&short, bp, tr) }
            if i > longest - medium.period { Self.add(&medium, bp, tr) }
            Self.add(&long, bp, tr)
        }
        for i in longest..<max(n, longest) {
            let (bp, tr) = terms(i)
            Self.add(&short, bp, tr)
            Self.add(&medium, bp, tr)
            Self.add(&long, bp, tr)
            out[i] = Self.value(short, medium, long)
            let oldShort = terms(i - short.period + 1)
            Self.remove(&short, oldShort.bp, oldShort.tr)
            let oldMedium = terms(i - medium.period + 1)
            Self.remove(&medium, oldMedium.bp, oldMedium.tr)
            let oldLong = terms(i - long.period + 1)
            Self.remove(&long, oldLong.bp, oldLong.tr)
        }
    }

    @inline(__always)
    private static func value(_ short: Window, _ medium: Window, _ long: Window) -> Double {
        var output = 0.0
        if short.range != 0 { output += 4.0 * (short.pressure / short.range) }
        if medium.range != 0 { output += 2.0 * (medium.pressure / medium.range) }
        if long.range != 0 { output += long.pressure / long.range }
        return 100.0 * (output / 7.0)
    }

    @inline(__always)
    private static func remove(_ w: inout Window, _ bp: Double, _ tr: Double) {
        w.pressure -= bp
        w.range -= tr
    }

    @inline(__always)
    mutating func next(high: Double, low: Double, close: Double) -> Double {
        defer {
            prevClose = close
            count += 1
        }
        let i = count
        guard i > 0 else { return .nan }
        let slots = pressure.count
        let bp = close - min(low, prevClose)
        let tr = OHLC.trueRange(high: high, low: low, prevClose: prevClose)
        pressure[i % slots] = bp
        range[i % slots] = tr
        if i < long.period {
            // Prime each window with the bars of its first full window, which ends at bar `long.period`.
            let longest = long.period
            if i > longest - short.period { Self.add(&short, bp, tr) }
            if i > longest - medium.period { Self.add(&medium, bp, tr) }
            Self.add(&long, bp, tr)
            return .nan
        }
        Self.add(&short, bp, tr)
        Self.add(&medium, bp, tr)
        Self.add(&long, bp, tr)
        let output = Self.value(short, medium, long)
        // Remove each window's oldest bar before the next bar arrives.
        Self.removeOldest(&short, pressure, range, i, slots)
        Self.removeOldest(&medium, pressure, range, i, slots)
        Self.removeOldest(&long, pressure, range, i, slots)
        return output
    }

    @inline(__always)
    private static func add(_ w: inout Window, _ bp: Double, _ tr: Double) {
        w.pressure += bp
        w.range += tr
    }

    @inline(__always)
    private static func removeOldest(
        _ w: inout Window, _ pressure: [Double], _ range: [Double], _ i: Int, _ slots: Int
    ) {
        let oldest = (i - w.period + 1) % slots
        w.pressure -= pressure[oldest]
        w.range -= range[oldest]
    }
}
