extension TA {
    /// ULTOSC, Ultimate Oscillator: with buying pressure bp = close − min(low, previous close) and the true
    /// range tr, 100 · (4·A₁ + 2·A₂ + A₃)/7 where Aₖ = Σbp/Σtr over the k-th shortest period (a term is dropped
    /// unless its Σtr is positive). The three periods are sorted first, as TA-Lib does. As in TA-Lib 0.8, once a run
    /// of bars with bp = tr = 0 (exactly) fills a window, that window's sums restart at exactly 0, dropping their
    /// rounding residue. Lookback: the longest period.
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
    /// Consecutive bars with bp = tr = 0, capped at the longest period (TA-Lib 0.8's flat-run count).
    private var flatRun = 0

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

    /// The batch kernel: the same steps, with the terms of the last `longest` bars in a raw-memory ring and one
    /// wrapping cursor per window (no division or modulo per bar).
    func batch(
        _ h: UnsafePointer<Double>, _ l: UnsafePointer<Double>, _ c: UnsafePointer<Double>, count n: Int,
        out: UnsafeMutablePointer<Double>
    ) {
        var short = short
        var medium = medium
        var long = long
        let longest = long.period
        let pressures = UnsafeMutablePointer<Double>.allocate(capacity: longest)
        let ranges = UnsafeMutablePointer<Double>.allocate(capacity: longest)
        defer {
            pressures.deallocate()
            ranges.deallocate()
        }
        // Bar j's terms sit at slot (j − 1) mod longest; a window of p bars ending at i starts at slot
        // (i − p) mod longest, which is where each cursor points.
        var slot = 0
        var shortCursor = (longest - short.period) % longest
        var mediumCursor = (longest - medium.period) % longest
        var longCursor = 0
        var flatRun = 0
        @inline(__always) func advance(_ cursor: inout Int) {
            cursor += 1
            if cursor == longest { cursor = 0 }
        }
        for i in 1..<n {
            let bp = c[i] - min(l[i], c[i - 1])
            let tr = OHLC.trueRange(high: h[i], low: l[i], prevClose: c[i - 1])
            pressures[slot] = bp
            ranges[slot] = tr
            advance(&slot)
            flatRun = bp == 0 && tr == 0 ? flatRun + 1 : 0
            if i < longest {
                // Prime each window with the bars of its first full window, which ends at bar `longest`.
                if i > longest - short.period { Self.add(&short, bp, tr) }
                if i > longest - medium.period { Self.add(&medium, bp, tr) }
                Self.add(&long, bp, tr)
                if flatRun >= short.period { Self.restartFlat(&short, &medium, &long, &flatRun) }
                continue
            }
            Self.add(&short, bp, tr)
            Self.add(&medium, bp, tr)
            Self.add(&long, bp, tr)
            if flatRun >= short.period { Self.restartFlat(&short, &medium, &long, &flatRun) }
            out[i] = Self.value(short, medium, long)
            Self.remove(&short, pressures[shortCursor], ranges[shortCursor])
            Self.remove(&medium, pressures[mediumCursor], ranges[mediumCursor])
            Self.remove(&long, pressures[longCursor], ranges[longCursor])
            advance(&shortCursor)
            advance(&mediumCursor)
            advance(&longCursor)
        }
    }

    /// TA-Lib 0.8 drops a term unless its Σtr is positive (a residue left negative by rounding is dropped too).
    @inline(__always)
    private static func value(_ short: Window, _ medium: Window, _ long: Window) -> Double {
        var output = 0.0
        if short.range > 0 { output += 4.0 * (short.pressure / short.range) }
        if medium.range > 0 { output += 2.0 * (medium.pressure / medium.range) }
        if long.range > 0 { output += long.pressure / long.range }
        return 100.0 * (output / 7.0)
    }

    /// A flat run of `flatRun` ≥ the shortest period bars (bp = tr = 0) fills every window no longer than it: their
    /// sums are exactly 0, so TA-Lib 0.8 sets them to 0 (and caps the count at the longest period).
    @inline(never)
    private static func restartFlat(
        _ short: inout Window, _ medium: inout Window, _ long: inout Window, _ flatRun: inout Int
    ) {
        short.pressure = 0
        short.range = 0
        guard flatRun >= medium.period else { return }
        medium.pressure = 0
        medium.range = 0
        guard flatRun >= long.period else { return }
        long.pressure = 0
        long.range = 0
        flatRun = long.period
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
        flatRun = bp == 0 && tr == 0 ? flatRun + 1 : 0
        if i < long.period {
            // Prime each window with the bars of its first full window, which ends at bar `long.period`.
            let longest = long.period
            if i > longest - short.period { Self.add(&short, bp, tr) }
            if i > longest - medium.period { Self.add(&medium, bp, tr) }
            Self.add(&long, bp, tr)
            if flatRun >= short.period { Self.restartFlat(&short, &medium, &long, &flatRun) }
            return .nan
        }
        Self.add(&short, bp, tr)
        Self.add(&medium, bp, tr)
        Self.add(&long, bp, tr)
        if flatRun >= short.period { Self.restartFlat(&short, &medium, &long, &flatRun) }
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
