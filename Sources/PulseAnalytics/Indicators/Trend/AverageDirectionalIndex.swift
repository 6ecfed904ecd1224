extension TA {
    /// ADX, Average Directional Movement Index, as TA-Lib computes it: DX = 100·|−DI − +DI| / (−DI + +DI) from
    /// bar N on; the first ADX (bar 2N−1) is the mean of the first N DX values, then `adx = (adx·(N−1) + dx)/N`.
    /// A DX is skipped (the ADX carries over) unless the smoothed true range is positive (an exact test) and the DI
    /// sum is outside TA-Lib's absolute band (−1e-14, 1e-14) (`TA_IS_ZERO`: 0.8.1 kept it here; with a short period
    /// both DMs decay below it over a run without directional movement while the true range does not). Lookback
    /// 2N−1.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public static func adx(
        high: [Double], low: [Double], close: [Double], timePeriod: Int = 14
    ) throws(IndicatorError) -> [Double] {
        let state = try ADXState(timePeriod: timePeriod)
        return try state.batch(high: high, low: low, close: close)
    }

    /// ADXR, Average Directional Movement Index Rating: (ADX now + ADX N−1 bars ago) / 2. Lookback 3N−2.
    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public static func adxr(
        high: [Double], low: [Double], close: [Double], timePeriod: Int = 14
    ) throws(IndicatorError) -> [Double] {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "ADXR")
        let adx = try TA.adx(high: high, low: low, close: close, timePeriod: timePeriod)
        let lag = timePeriod - 1
        return AlignedOutput.make(count: adx.count, begin: 0) { out in
            for i in 0..<min(lag, adx.count) { out[i] = .nan }
            withBase(adx) { a in
                for i in lag..<max(adx.count, lag) { out[i] = ADXRState.value(now: a[i], then: a[i - lag]) }
            }
        }
    }
}

/// Streaming ADX.
public struct ADXState: StreamingIndicator {
    private var core: DirectionalMovementCore
    private var sumDX = 0.0
    private var adx = Double.nan

    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public init(timePeriod: Int = 14) throws(IndicatorError) {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "ADX")
        core = DirectionalMovementCore(period: timePeriod)
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(next(high: bar.high, low: bar.low, close: bar.close))
    }

    @inline(__always)
    mutating func next(high: Double, low: Double, close: Double) -> Double {
        core.update(high: high, low: low, close: close)
        let i = core.index
        let n = core.period
        guard i >= n else { return .nan }
        var dx: Double?
        if let di = core.directionalIndices {
            let sum = di.minus + di.plus
            if !sum.isStrictlyWithinTAEpsilonOfZero { dx = 100.0 * (abs(di.minus - di.plus) / sum) }
        }
        if i < 2 * n - 1 {
            if let dx { sumDX += dx }
            return .nan
        }
        if i == 2 * n - 1 {
            if let dx { sumDX += dx }
            adx = sumDX / Double(n)
        } else if let dx {
            adx = (adx * Double(n - 1) + dx) / Double(n)
        }
        return adx
    }

    func batch(high: [Double], low: [Double], close: [Double]) throws(IndicatorError) -> [Double] {
        try OHLC.checkLengths([high.count, low.count, close.count], function: "ADX")
        return AlignedOutput.make(count: close.count, begin: 0) { out in
            withBases(high, low, close) { h, l, c in
                var s = self
                for i in 0..<close.count { out[i] = s.next(high: h[i], low: l[i], close: c[i]) }
            }
        }
    }
}

/// Streaming ADXR: keeps the last N ADX values in a ring.
public struct ADXRState: StreamingIndicator {
    private var adx: ADXState
    private var ring: [Double]
    private var position = 0

    /// - Throws: `IndicatorError` unless `timePeriod` is in 2...100000.
    public init(timePeriod: Int = 14) throws(IndicatorError) {
        try ParameterCheck.period(timePeriod, "timeperiod", in: 2...100_000, function: "ADXR")
        adx = try ADXState(timePeriod: timePeriod)
        ring = [Double](repeating: .nan, count: timePeriod - 1)
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        let now = adx.next(high: bar.high, low: bar.low, close: bar.close)
        let then = ring[position]
        ring[position] = now
        position += 1
        if position == ring.count { position = 0 }
        return IndicatorOutput(Self.value(now: now, then: then))
    }

    @inline(__always)
    static func value(now: Double, then: Double) -> Double { then.isNaN ? .nan : (now + then) / 2.0 }
}
