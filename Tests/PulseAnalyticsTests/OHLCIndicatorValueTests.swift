import Testing

@testable import PulseAnalytics

/// Values worked out by hand on tiny inputs, and the parameter ranges TA-Lib enforces.
@Suite("OHLC indicators: values and parameters")
struct OHLCIndicatorValueTests {
    let high: [Double] = [10, 12, 11, 13, 12]
    let low: [Double] = [8, 9, 9, 10, 10]
    let close: [Double] = [9, 11, 10, 12, 10]
    let volume: [Double] = [100, 200, 300, 400, 500]

    @Test func trueRangeTakesTheGreatestOfThreeSpans() throws {
        let tr = try TA.trange(high: high, low: low, close: close)
        #expect(tr[0].isNaN)
        // Bar 1: max(12−9, |9−12|, |9−9|) = 3; bar 2: max(2, 0, 2) = 2; bar 3: max(3, 3, 0) = 3; bar 4: 2.
        #expect(Array(tr.dropFirst()) == [3, 2, 3, 2])
    }

    @Test func onBalanceVolumeStartsWithTheFirstVolume() throws {
        let obv = try TA.obv(close: [5, 6, 6, 4, 7], volume: volume)
        #expect(obv == [100, 300, 300, -100, 400])
    }

    @Test func balanceOfPowerIsZeroForAZeroRange() throws {
        let bop = try TA.bop(open: [1, 2], high: [3, 2], low: [1, 2], close: [2, 2])
        #expect(bop == [0.5, 0])
    }

    @Test func midpriceAndWilliamsR() throws {
        let mid = try TA.midprice(high: high, low: low, timePeriod: 2)
        #expect(mid[0].isNaN)
        #expect(Array(mid.dropFirst()) == [10, 10.5, 11, 11.5])
        let willr = try TA.willr(high: high, low: low, close: close, timePeriod: 2)
        // Bar 4: highest 13, lowest 10, close 10 → −100·(13 − 10)/3 = −100.
        #expect(willr[4] == -100)
    }

    @Test func stochasticFastKIsZeroOnAZeroRange() throws {
        let flat = [Double](repeating: 7, count: 12)
        let (k, d) = try TA.stochf(high: flat, low: flat, close: flat)
        // Both outputs start at STOCHF's lookback, 5 − 1 + 3 − 1 = 6.
        #expect(k[6] == 0 && d[6] == 0)
        #expect(k[5].isNaN && d[5].isNaN)
    }

    @Test func aroonCountsBarsSinceTheExtremes() throws {
        // Period 2 looks at 3 bars: at bar 2 the high (12) was 1 bar ago, the low (8) 2 bars ago.
        let (down, up) = try TA.aroon(high: high, low: low, timePeriod: 2)
        #expect(up[2] == 50 && down[2] == 0)
        // Ties: the latest bar wins, so equal lows at bars 1 and 2 count from bar 2.
        let (tieDown, _) = try TA.aroon(high: [5, 5, 5], low: [3, 2, 2], timePeriod: 2)
        #expect(tieDown[2] == 100)
    }

    @Test func accumulationDistributionSkipsZeroRanges() throws {
        let ad = try TA.ad(high: [10, 10, 12], low: [8, 10, 10], close: [10, 10, 11], volume: [100, 50, 10])
        // Bar 0: ((10−8) − (10−10))/2 · 100 = 100; bar 1 has no range; bar 2 adds 0.
        #expect(ad == [100, 100, 100])
    }

    @Test func sessionVWAPRestartsAtEasternMidnight() throws {
        // 2024-01-02 23:30 EST (04:30 UTC Jan 3) and 2024-01-03 00:30 EST belong to different sessions.
        let t0: Int64 = 1_704_256_200
        let vwap = try TA.vwap(
            high: [12, 12, 30], low: [12, 12, 30], close: [12, 12, 30], volume: [1, 3, 2],
            timestamps: [t0 - 3600, t0, t0 + 3600])
        #expect(vwap == [12, 12, 30])
        let noVolume = try TA.vwap(high: [1], low: [1], close: [1], volume: [0], timestamps: nil)
        #expect(noVolume[0].isNaN)
    }

    @Test func emptyAndShortInputsGiveAllNaN() throws {
        #expect(try TA.atr(high: [], low: [], close: []).isEmpty)
        let adx = try TA.adx(high: high, low: low, close: close)
        #expect(adx.count == 5 && adx.allSatisfy(\.isNaN))
    }

    @Test func mismatchedColumnsAreRejected() {
        #expect(throws: IndicatorError.self) { try TA.atr(high: [1, 2], low: [1], close: [1, 2]) }
    }

    @Test(arguments: [
        ("ATR", 0), ("ADX", 1), ("ADXR", 100_001), ("WILLR", 1), ("CCI", 1), ("MFI", 1), ("AROON", 1),
        ("MIDPRICE", 1), ("PLUS_DI", 0), ("STOCH", 0), ("ULTOSC", 0), ("ADOSC", 1),
    ])
    func periodsOutsideTALibsRangesAreRejected(_ function: String, _ period: Int) {
        #expect(throws: IndicatorError.self) {
            switch function {
            case "ATR": _ = try ATRState(timePeriod: period)
            case "ADX": _ = try ADXState(timePeriod: period)
            case "ADXR": _ = try ADXRState(timePeriod: period)
            case "WILLR": _ = try WILLRState(timePeriod: period)
            case "CCI": _ = try CCIState(timePeriod: period)
            case "MFI": _ = try MFIState(timePeriod: period)
            case "AROON": _ = try AroonState(timePeriod: period)
            case "MIDPRICE": _ = try MIDPRICEState(timePeriod: period)
            case "PLUS_DI": _ = try DirectionalMovementState(.plusDI, timePeriod: period)
            case "STOCH": _ = try StochasticState(fastKPeriod: period)
            case "ULTOSC": _ = try ULTOSCState(timePeriod2: period)
            default: _ = try ADOSCState(fastPeriod: period)
            }
        }
    }

    @Test func negativeSARParametersAreRejected() {
        #expect(throws: IndicatorError.self) { try SARState(acceleration: -0.01) }
        #expect(throws: IndicatorError.self) { try SARState(maximum: .nan) }
    }

    @Test func mamaIsRejectedAsASmoothingType() {
        #expect(throws: IndicatorError.self) { try StochasticState(slowDType: .mama) }
        #expect(throws: IndicatorError.self) { try StochasticState.fast(fastDType: .mama) }
    }

    @Test func registryKnowsEveryOHLCFunctionWithTALibsLookback() throws {
        // TA-Lib 0.8's lookbacks with default parameters (`talib.abstract.Function(name).lookback`).
        let expected: [String: Int] = [
            "STOCH": 8, "STOCHF": 6, "WILLR": 13, "CCI": 13, "MFI": 14, "ULTOSC": 28, "BOP": 0, "AROON": 14,
            "AROONOSC": 14, "ATR": 14, "NATR": 14, "TRANGE": 1, "ADX": 27, "ADXR": 40, "PLUS_DI": 14, "MINUS_DI": 14,
            "PLUS_DM": 13, "MINUS_DM": 13, "SAR": 1, "OBV": 0, "AD": 0, "ADOSC": 9, "MIDPRICE": 13, "VWAP": 0,
        ]
        for (name, lookback) in expected {
            let spec = try IndicatorRegistry.standard.spec(name.lowercased())
            #expect(spec.lookback == lookback, "\(name)")
        }
        #expect(try IndicatorRegistry.standard.spec("aroon").columnNames == ["aroon_aroondown", "aroon_aroonup"])
        #expect(throws: IndicatorError.self) { try IndicatorRegistry.standard.spec("stoch:5,3,7") }
    }

    @Test func errorMessagesNameTheRange() {
        do {
            _ = try ADXState(timePeriod: 1)
            Issue.record("accepted period 1")
        } catch {
            #expect(error.message.contains("2...100000"))
            #expect(error.message.contains("ADX"))
        }
    }
}
