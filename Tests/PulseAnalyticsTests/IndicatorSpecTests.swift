import Testing

@testable import PulseAnalytics

@Suite struct IndicatorSpecTests {
    let registry = IndicatorRegistry.standard

    @Test func columnNamesFollowTheTypedParameters() throws {
        #expect(try registry.spec("rsi:14").columnNames == ["rsi_14"])
        #expect(try registry.spec("RSI").columnNames == ["rsi"])
        #expect(try registry.spec(" Sma:7 ").columnNames == ["sma_7"])
    }

    @Test func omittedParametersTakeTaLibDefaults() throws {
        #expect(try registry.spec("rsi").arguments == IndicatorArguments([14]))
        #expect(try registry.spec("sma").arguments == IndicatorArguments([30]))
        #expect(try registry.spec("ema:5").lookback == 4)
    }

    @Test(arguments: [
        ("rsi:1", "2...100000"), ("rsi:100001", "2...100000"), ("rsi:x", "timeperiod"), ("sma:0", "1...100000"),
        ("rsi:14.5", "integer"), ("sma:5,5", "at most 1"), ("ema:", "empty parameter"),
    ])
    func badParametersAreRejectedWithTheRange(_ text: String, _ fragment: String) {
        let error = #expect(throws: IndicatorError.self) { try registry.spec(text) }
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    @Test func unknownFunctionNamesTheChoices() {
        let error = #expect(throws: IndicatorError.self) { try registry.spec("frobnicate:3") }
        #expect(error?.message.contains("frobnicate") == true)
        #expect(error?.message.contains("rsi") == true)
    }

    @Test func batchFunctionsRejectBadPeriods() {
        #expect(throws: IndicatorError.self) { try TA.rsi([1, 2, 3], period: 1) }
        #expect(throws: IndicatorError.self) { try TA.sma([1, 2, 3], period: 0) }
    }

    @Test func outputsAreAlignedWithNaNInTheLookback() throws {
        let x = (0..<10).map(Double.init)
        let sma = try TA.sma(x, period: 3)
        #expect(sma.count == 10)
        #expect(sma[0].isNaN && sma[1].isNaN)
        #expect(sma[2] == 1 && sma[9] == 8)
        #expect(try TA.ema([1, 2], period: 5).allSatisfy(\.isNaN))
        #expect(try TA.rsi([], period: 14).isEmpty)
    }

    @Test func movingAverageTypesParseCodesAndNames() {
        #expect(MovingAverageType(code: "1") == .ema)
        #expect(MovingAverageType(code: "t3") == .t3)
        #expect(MovingAverageType(code: "7") == nil)
        #expect(MovingAverageType(code: "9") == nil)
    }
}

/// Inputs shorter than, equal to and just past the lookback: no crash, aligned outputs, NaN exactly in the lookback.
@Suite struct IndicatorShortInputTests {
    @Test(arguments: IndicatorRegistry.standard.definitions.map { $0.name.lowercased() })
    func shortInputsAreAllLookback(_ name: String) throws {
        let spec = try IndicatorRegistry.standard.spec(name)
        let lookback = spec.lookback
        let full = IndicatorTestSeries.walk(count: lookback + 2, scale: 1, seed: 11)
        for n in Set([0, 1, 2, 3, lookback, lookback + 1, lookback + 2]) where n <= full.count {
            let bars = BarSeries(
                labels: Array(full.labels.prefix(n)), timestamps: full.timestamps.map { Array($0.prefix(n)) },
                open: Array(full.open.prefix(n)), high: Array(full.high.prefix(n)), low: Array(full.low.prefix(n)),
                close: Array(full.close.prefix(n)), volume: full.volume.map { Array($0.prefix(n)) })
            let outputs = try spec.compute(bars)
            for output in outputs {
                #expect(output.count == n)
                let leading = output.firstIndex { !$0.isNaN } ?? n
                #expect(leading == min(lookback, n), "\(name) with \(n) bars")
            }
        }
    }
}
