extension TA {
    /// STOCH, Stochastic (slow): fast %K = 100·(close − lowest low)/(highest high − lowest low) over `fastKPeriod`
    /// bars (0 when the range is below 1e-14 relative, TA-Lib 0.8's rule), smoothed into slow %K by a moving
    /// average of `slowKPeriod` and into slow %D by one of `slowDPeriod`. Lookback
    /// `fastKPeriod − 1 + lookback(slowK MA) + lookback(slowD MA)` (8 with the defaults).
    /// - Throws: `IndicatorError` for periods outside 1...100000 or MAMA.
    public static func stoch(
        high: [Double], low: [Double], close: [Double], fastKPeriod: Int = 5, slowKPeriod: Int = 3,
        slowKType: MovingAverageType = .sma, slowDPeriod: Int = 3, slowDType: MovingAverageType = .sma
    ) throws(IndicatorError) -> (slowK: [Double], slowD: [Double]) {
        // The state's initialiser validates the parameters.
        _ = try StochasticState(
            fastKPeriod: fastKPeriod, slowKPeriod: slowKPeriod, slowKType: slowKType, slowDPeriod: slowDPeriod,
            slowDType: slowDType)
        try OHLC.checkLengths([high.count, low.count, close.count], function: "STOCH")
        return StochasticBatch.run(
            high: high, low: low, close: close, fastKPeriod: fastKPeriod,
            kAverage: (slowKType, slowKPeriod), dAverage: (slowDType, slowDPeriod))
    }

    /// STOCHF, Stochastic Fast: fast %K (as in STOCH) and fast %D, its moving average of `fastDPeriod`. Lookback
    /// `fastKPeriod − 1 + lookback(fastD MA)` (6 with the defaults).
    /// - Throws: `IndicatorError` for periods outside 1...100000 or MAMA.
    public static func stochf(
        high: [Double], low: [Double], close: [Double], fastKPeriod: Int = 5, fastDPeriod: Int = 3,
        fastDType: MovingAverageType = .sma
    ) throws(IndicatorError) -> (fastK: [Double], fastD: [Double]) {
        _ = try StochasticState.fast(fastKPeriod: fastKPeriod, fastDPeriod: fastDPeriod, fastDType: fastDType)
        try OHLC.checkLengths([high.count, low.count, close.count], function: "STOCHF")
        return StochasticBatch.run(
            high: high, low: low, close: close, fastKPeriod: fastKPeriod, kAverage: nil,
            dAverage: (fastDType, fastDPeriod))
    }
}

/// Streaming STOCH (outputs slowk, slowd) or STOCHF (outputs fastk, fastd).
public struct StochasticState: StreamingIndicator {
    private var range: PriceRangeWindow
    /// Slow %K's average (STOCH), absent for STOCHF where fast %K is output as is.
    private var kAverage: MovingAverageState?
    private var dAverage: MovingAverageState

    /// A STOCH state.
    /// - Throws: `IndicatorError` for periods outside 1...100000 or MAMA.
    public init(
        fastKPeriod: Int = 5, slowKPeriod: Int = 3, slowKType: MovingAverageType = .sma, slowDPeriod: Int = 3,
        slowDType: MovingAverageType = .sma
    ) throws(IndicatorError) {
        try ParameterCheck.period(fastKPeriod, "fastk_period", in: 1...100_000, function: "STOCH")
        try ParameterCheck.period(slowKPeriod, "slowk_period", in: 1...100_000, function: "STOCH")
        try ParameterCheck.period(slowDPeriod, "slowd_period", in: 1...100_000, function: "STOCH")
        try ParameterCheck.maType(slowKType, "slowk_matype", function: "STOCH")
        try ParameterCheck.maType(slowDType, "slowd_matype", function: "STOCH")
        range = PriceRangeWindow(period: fastKPeriod)
        kAverage = MovingAverageState(slowKType, period: slowKPeriod)
        dAverage = MovingAverageState(slowDType, period: slowDPeriod)
    }

    /// A STOCHF state.
    /// - Throws: `IndicatorError` for periods outside 1...100000 or MAMA.
    public static func fast(fastKPeriod: Int = 5, fastDPeriod: Int = 3, fastDType: MovingAverageType = .sma)
        throws(IndicatorError) -> StochasticState
    {
        try ParameterCheck.period(fastKPeriod, "fastk_period", in: 1...100_000, function: "STOCHF")
        try ParameterCheck.period(fastDPeriod, "fastd_period", in: 1...100_000, function: "STOCHF")
        try ParameterCheck.maType(fastDType, "fastd_matype", function: "STOCHF")
        return StochasticState(
            range: PriceRangeWindow(period: fastKPeriod), kAverage: nil,
            dAverage: MovingAverageState(fastDType, period: fastDPeriod))
    }

    private init(range: PriceRangeWindow, kAverage: MovingAverageState?, dAverage: MovingAverageState) {
        self.range = range
        self.kAverage = kAverage
        self.dAverage = dAverage
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        let (k, d) = next(high: bar.high, low: bar.low, close: bar.close)
        return IndicatorOutput(k, d)
    }

    @inline(__always)
    mutating func next(high: Double, low: Double, close: Double) -> (k: Double, d: Double) {
        guard let window = range.push(high: high, low: low) else { return (.nan, .nan) }
        let fastK = Self.fastK(close: close, highest: window.highest, lowest: window.lowest)
        var k = fastK
        if kAverage != nil {
            k = kAverage!.step(fastK)
            if k.isNaN { return (.nan, .nan) }
        }
        let d = dAverage.step(k)
        return d.isNaN ? (.nan, .nan) : (k, d)
    }

    /// TA-Lib 0.8's fast %K: 0 when the range is negligible against the prices.
    @inline(__always)
    static func fastK(close: Double, highest: Double, lowest: Double) -> Double {
        let diff = highest - lowest
        if abs(diff) <= 1e-14 * (abs(highest) + abs(lowest)) { return 0 }
        return (close - lowest) / diff * 100.0
    }
}
