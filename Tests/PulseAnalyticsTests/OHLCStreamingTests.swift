import Foundation
import Testing

@testable import PulseAnalytics

/// One indicator under test: its batch outputs and a fresh streaming state.
struct OHLCCase: Sendable, CustomStringConvertible {
    let description: String
    let batch: @Sendable (OHLCTestSeries) throws -> [[Double]]
    let stream: @Sendable () throws -> any StreamingIndicator

    static let all: [OHLCCase] = [
        OHLCCase("TRANGE", { s in [try TA.trange(high: s.high, low: s.low, close: s.close)] }, { TRANGEState() }),
        OHLCCase("ATR", { s in [try TA.atr(high: s.high, low: s.low, close: s.close)] }, { try ATRState() }),
        OHLCCase(
            "ATR:1", { s in [try TA.atr(high: s.high, low: s.low, close: s.close, timePeriod: 1)] },
            { try ATRState(timePeriod: 1) }),
        OHLCCase("NATR", { s in [try TA.natr(high: s.high, low: s.low, close: s.close)] }, { try NATRState() }),
        OHLCCase(
            "PLUS_DM", { s in [try TA.plusDM(high: s.high, low: s.low)] }, { try DirectionalMovementState(.plusDM) }),
        OHLCCase(
            "MINUS_DM", { s in [try TA.minusDM(high: s.high, low: s.low)] }, { try DirectionalMovementState(.minusDM) }),
        OHLCCase(
            "MINUS_DI", { s in [try TA.minusDI(high: s.high, low: s.low, close: s.close)] },
            { try DirectionalMovementState(.minusDI) }),
        OHLCCase(
            "MINUS_DM:1", { s in [try TA.minusDM(high: s.high, low: s.low, timePeriod: 1)] },
            { try DirectionalMovementState(.minusDM, timePeriod: 1) }),
        OHLCCase(
            "PLUS_DI", { s in [try TA.plusDI(high: s.high, low: s.low, close: s.close)] },
            { try DirectionalMovementState(.plusDI) }),
        OHLCCase(
            "MINUS_DI:2", { s in [try TA.minusDI(high: s.high, low: s.low, close: s.close, timePeriod: 2)] },
            { try DirectionalMovementState(.minusDI, timePeriod: 2) }),
        OHLCCase("ADX", { s in [try TA.adx(high: s.high, low: s.low, close: s.close)] }, { try ADXState() }),
        OHLCCase("ADXR", { s in [try TA.adxr(high: s.high, low: s.low, close: s.close)] }, { try ADXRState() }),
        OHLCCase("SAR", { s in [try TA.sar(high: s.high, low: s.low)] }, { try SARState() }),
        OHLCCase(
            "AROON",
            { s in
                let r = try TA.aroon(high: s.high, low: s.low); return [r.aroonDown, r.aroonUp]
            },
            { try AroonState() }),
        OHLCCase(
            "AROONOSC", { s in [try TA.aroonOscillator(high: s.high, low: s.low)] }, { try AroonOscillatorState() }),
        OHLCCase(
            "STOCH",
            { s in
                let r = try TA.stoch(high: s.high, low: s.low, close: s.close); return [r.slowK, r.slowD]
            },
            { try StochasticState() }),
        OHLCCase(
            "STOCHF",
            { s in
                let r = try TA.stochf(high: s.high, low: s.low, close: s.close); return [r.fastK, r.fastD]
            },
            { try StochasticState.fast() }),
        OHLCCase(
            "STOCH:6,4,KAMA,3,T3",
            { s in
                let r = try TA.stoch(
                    high: s.high, low: s.low, close: s.close, fastKPeriod: 6, slowKPeriod: 4, slowKType: .kama,
                    slowDPeriod: 3, slowDType: .t3)
                return [r.slowK, r.slowD]
            }, { try StochasticState(fastKPeriod: 6, slowKPeriod: 4, slowKType: .kama, slowDPeriod: 3, slowDType: .t3) }
        ),
        OHLCCase(
            "STOCHF:5,3,DEMA",
            { s in
                let r = try TA.stochf(high: s.high, low: s.low, close: s.close, fastDType: .dema)
                return [r.fastK, r.fastD]
            }, { try StochasticState.fast(fastDType: .dema) }),
        OHLCCase("WILLR", { s in [try TA.willr(high: s.high, low: s.low, close: s.close)] }, { try WILLRState() }),
        OHLCCase("CCI", { s in [try TA.cci(high: s.high, low: s.low, close: s.close)] }, { try CCIState() }),
        OHLCCase("ULTOSC", { s in [try TA.ultosc(high: s.high, low: s.low, close: s.close)] }, { try ULTOSCState() }),
        OHLCCase(
            "ULTOSC:2,3,4",
            { s in
                [
                    try TA.ultosc(
                        high: s.high, low: s.low, close: s.close, timePeriod1: 2, timePeriod2: 3, timePeriod3: 4)
                ]
            }, { try ULTOSCState(timePeriod1: 2, timePeriod2: 3, timePeriod3: 4) }),
        OHLCCase(
            "ADX:2", { s in [try TA.adx(high: s.high, low: s.low, close: s.close, timePeriod: 2)] },
            { try ADXState(timePeriod: 2) }),
        OHLCCase(
            "BOP", { s in [try TA.bop(open: s.open, high: s.high, low: s.low, close: s.close)] }, { BOPState() }),
        OHLCCase("OBV", { s in [try TA.obv(close: s.close, volume: s.volume)] }, { OBVState() }),
        OHLCCase(
            "AD", { s in [try TA.ad(high: s.high, low: s.low, close: s.close, volume: s.volume)] }, { ADState() }),
        OHLCCase(
            "ADOSC", { s in [try TA.adosc(high: s.high, low: s.low, close: s.close, volume: s.volume)] },
            { try ADOSCState() }),
        OHLCCase(
            "MFI", { s in [try TA.mfi(high: s.high, low: s.low, close: s.close, volume: s.volume)] },
            { try MFIState() }),
        OHLCCase("MIDPRICE", { s in [try TA.midprice(high: s.high, low: s.low)] }, { try MIDPRICEState() }),
        OHLCCase(
            "VWAP",
            { s in
                [try TA.vwap(high: s.high, low: s.low, close: s.close, volume: s.volume, timestamps: s.timestamps)]
            }, { VWAPState() }),
    ]

    init(
        _ name: String, _ batch: @escaping @Sendable (OHLCTestSeries) throws -> [[Double]],
        _ stream: @escaping @Sendable () throws -> any StreamingIndicator
    ) {
        description = name
        self.batch = batch
        self.stream = stream
    }
}

@Suite("OHLC indicators: streaming equals batch")
struct OHLCStreamingTests {
    static let arguments = OHLCCase.all.flatMap { c in OHLCTestSeries.all.map { (c, $0) } }

    @Test(arguments: arguments)
    func streamingEqualsBatchBitwise(_ testCase: OHLCCase, _ series: OHLCTestSeries) throws {
        let batch = try testCase.batch(series)
        var state = try testCase.stream()
        var mismatches = 0
        for i in 0..<series.count {
            let out = state.update(series.bar(i))
            #expect(out.count == batch.count)
            for k in 0..<batch.count where out[k].bitPattern != batch[k][i].bitPattern {
                mismatches += 1
                if mismatches < 4 { Issue.record("\(testCase) \(series) [\(k)] at \(i): \(out[k]) vs \(batch[k][i])") }
            }
        }
        #expect(mismatches == 0)
        // The outputs must not be all NaN: the series are longer than every lookback.
        #expect(batch.allSatisfy { column in column.contains { !$0.isNaN } })
    }

    /// Batch kernels work in blocks of a few hundred bars (DirectionalMovementBatch, NATR); a long series with
    /// flat stretches checks the recurrences carry across block boundaries unchanged.
    @Test(arguments: OHLCCase.all)
    func longSeriesAcrossBatchBlocksEqualsStreaming(_ testCase: OHLCCase) throws {
        var series = OHLCTestSeries.walk("long", count: 2_345, scale: 80, seed: 21)
        for i in 1_020..<1_050 { (series.high[i], series.low[i], series.close[i]) = (80, 80, 80) }
        let batch = try testCase.batch(series)
        var state = try testCase.stream()
        var mismatches = 0
        for i in 0..<series.count {
            let out = state.update(series.bar(i))
            for k in 0..<batch.count where out[k].bitPattern != batch[k][i].bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0, "\(testCase)")
        #expect(batch.allSatisfy { column in column.suffix(1_000).allSatisfy { !$0.isNaN } })
    }

    @Test(arguments: OHLCCase.all)
    func seriesShorterThanTheLookbackGiveAlignedNaN(_ testCase: OHLCCase) throws {
        for length in [0, 1, 2, 5] {
            let full = OHLCTestSeries.all[1]
            var short = OHLCTestSeries(name: "short")
            short.open = Array(full.open.prefix(length))
            short.high = Array(full.high.prefix(length))
            short.low = Array(full.low.prefix(length))
            short.close = Array(full.close.prefix(length))
            short.volume = Array(full.volume.prefix(length))
            short.timestamps = Array(full.timestamps.prefix(length))
            let batch = try testCase.batch(short)
            #expect(batch.allSatisfy { $0.count == length }, "\(testCase) length \(length)")
            var state = try testCase.stream()
            for i in 0..<length {
                let out = state.update(short.bar(i))
                for k in 0..<batch.count { #expect(out[k].bitPattern == batch[k][i].bitPattern, "\(testCase) at \(i)") }
            }
        }
    }

    @Test(arguments: OHLCCase.all)
    func checkpointRestoreContinuesExactly(_ testCase: OHLCCase) throws {
        let series = OHLCTestSeries.all[1]
        let batch = try testCase.batch(series)
        var state = try testCase.stream()
        let cut = 137
        for i in 0..<cut { _ = state.update(series.bar(i)) }
        var restored = try Self.roundTrip(state)
        for i in cut..<series.count {
            let out = restored.update(series.bar(i))
            for k in 0..<batch.count {
                #expect(out[k].bitPattern == batch[k][i].bitPattern, "\(testCase) at \(i)")
            }
        }
    }

    static func roundTrip<S: StreamingIndicator>(_ state: S) throws -> any StreamingIndicator {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(S.self, from: encoder.encode(state))
    }
}
