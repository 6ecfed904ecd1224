extension TA {
    /// SAR, Parabolic Stop And Reverse, as TA-Lib computes it: the first direction is short when bar 1 has a
    /// positive −DM (its low fell more than its high rose), else long; the stop starts at bar 0's low (long) or
    /// high (short) with the extreme point at bar 1's high (long) or low (short); each bar the stop moves by
    /// `af · (ep − sar)`, is clamped by the last two bars' lows (long) or highs (short), and reverses when
    /// touched. The acceleration factor grows by `acceleration` per new extreme up to `maximum`. Lookback 1.
    /// - Throws: `IndicatorError` when `acceleration` or `maximum` is negative or not finite.
    public static func sar(
        high: [Double], low: [Double], acceleration: Double = 0.02, maximum: Double = 0.2
    ) throws(IndicatorError) -> [Double] {
        let state = try SARState(acceleration: acceleration, maximum: maximum)
        try OHLC.checkLengths([high.count, low.count], function: "SAR")
        return AlignedOutput.make(count: high.count, begin: 0) { out in
            withBases(high, low) { h, l in
                var s = state
                for i in 0..<high.count { out[i] = s.next(high: h[i], low: l[i]) }
            }
        }
    }
}

/// Streaming SAR.
public struct SARState: StreamingIndicator {
    private let step: Double
    private let maximum: Double
    private var count = 0
    private var isLong = true
    private var af: Double
    private var ep = 0.0
    private var sar = 0.0
    private var prevHigh = 0.0
    private var prevLow = 0.0

    /// - Throws: `IndicatorError` when `acceleration` or `maximum` is negative or not finite.
    public init(acceleration: Double = 0.02, maximum: Double = 0.2) throws(IndicatorError) {
        for (name, value) in [("acceleration", acceleration), ("maximum", maximum)]
        where !(value >= 0 && value <= 3e37) {
            throw IndicatorError("SAR: parameter \(name) must be a number in 0...3e37; got \(value)")
        }
        // TA-Lib caps the step at the maximum.
        step = min(acceleration, maximum)
        self.maximum = maximum
        af = step
    }

    public mutating func update(_ bar: BarInput) -> IndicatorOutput {
        IndicatorOutput(next(high: bar.high, low: bar.low))
    }

    @inline(__always)
    mutating func next(high newHigh: Double, low newLow: Double) -> Double {
        defer {
            prevHigh = newHigh
            prevLow = newLow
            count += 1
        }
        if count == 0 { return .nan }
        if count == 1 {
            // Direction from bar 1's −DM (period 1): short when the low fell more than the high rose.
            let down = prevLow - newLow
            let up = newHigh - prevHigh
            isLong = !(down > 0 && up < down)
            if isLong {
                ep = newHigh
                sar = prevLow
            } else {
                ep = newLow
                sar = prevHigh
            }
            // TA-Lib's first iteration sees bar 1 as both the previous and the current bar.
            prevHigh = newHigh
            prevLow = newLow
        }
        let output: Double
        if isLong {
            if newLow <= sar {
                isLong = false
                sar = max(max(ep, prevHigh), newHigh)
                output = sar
                af = step
                ep = newLow
                sar = advance()
                sar = max(max(sar, prevHigh), newHigh)
            } else {
                output = sar
                // Selects, not a branch: whether a bar makes a new extreme is a coin flip the predictor misses,
                // and the stop's serial chain runs through `ep` and `af`.
                let extends = newHigh > ep
                af = extends ? min(af + step, maximum) : af
                ep = extends ? newHigh : ep
                sar = advance()
                sar = min(min(sar, prevLow), newLow)
            }
        } else {
            if newHigh >= sar {
                isLong = true
                sar = min(min(ep, prevLow), newLow)
                output = sar
                af = step
                ep = newHigh
                sar = advance()
                sar = min(min(sar, prevLow), newLow)
            } else {
                output = sar
                let extends = newLow < ep
                af = extends ? min(af + step, maximum) : af
                ep = extends ? newLow : ep
                sar = advance()
                sar = max(max(sar, prevHigh), newHigh)
            }
        }
        return output
    }

    @inline(__always)
    private func advance() -> Double { sar.addingProduct(af, ep - sar) }
}
