import Testing

@testable import PulseAnalytics

/// The language's indicator functions call the indicator library with the right inputs and parameters.
@Suite struct ExpressionIndicatorTests {
    let bars = ExpressionFixture.bars(
        closes: ExpressionFixture.wave(count: 80), volume: (0..<80).map { Double($0 % 9 + 1) })

    @Test func aliasesPassTheirSeriesAndPeriod() throws {
        let hl2 = zip(bars.high, bars.low).map { ($0 + $1) / 2 }
        #expect(
            sameSeries(try ExpressionFixture.values("ema(hl2, 5)", on: bars), try TA.ema(hl2, period: 5), tolerance: 0))
        #expect(
            sameSeries(
                try ExpressionFixture.values("rsi(close, 6)", on: bars), try TA.rsi(bars.close, period: 6), tolerance: 0
            ))
        let spread = zip(bars.close, bars.open).map { $0 - $1 }
        #expect(
            sameSeries(
                try ExpressionFixture.values("ta_sma(close - open, 4)", on: bars), try TA.sma(spread, period: 4),
                tolerance: 0))
    }

    @Test func rsiReversionEntersBelowLowerAndExitsAboveUpper() throws {
        let rsi = try TA.rsi(bars.close, period: 5)
        let signals = try Strategy.compile(named: "rsi-reversion", parameters: ["period": 5, "lower": 40, "upper": 60])
            .signals(on: bars)
        #expect(signals.longEntry == rsi.map { $0 < 40 })
        #expect(signals.longExit == rsi.map { $0 > 60 })
        #expect(signals.longEntry.contains(true) && signals.longExit.contains(true))
        #expect(signals.warmupBars == 5)
    }

    @Test func emaCrossMatchesCrossingsOfTheLibraryEMAs() throws {
        let fast = try TA.ema(bars.close, period: 3)
        let slow = try TA.ema(bars.close, period: 8)
        var expectedLong = [Bool](repeating: false, count: bars.count)
        var expectedShort = expectedLong
        for i in 1..<bars.count {
            expectedLong[i] = fast[i - 1] < slow[i - 1] && fast[i] > slow[i]
            expectedShort[i] = slow[i - 1] < fast[i - 1] && slow[i] > fast[i]
        }
        let signals = try Strategy.compile(named: "ema-cross", parameters: ["fast": 3, "slow": 8]).signals(on: bars)
        #expect(signals.longEntry == expectedLong)
        #expect(signals.shortEntry == expectedShort)
        #expect(expectedLong.contains(true) && expectedShort.contains(true))
    }

    @Test func bollingerBreakoutUsesTheBands() throws {
        let bands = try TA.bbands(bars.close, period: 10, deviationsUp: 1.5, deviationsDown: 1.5, type: .sma)
        let signals = try Strategy.compile(named: "bollinger-breakout", parameters: ["period": 10, "k": 1.5])
            .signals(on: bars)
        #expect(signals.longEntry == bars.close.indices.map { bars.close[$0] > bands.upper[$0] })
        #expect(signals.longExit == bars.close.indices.map { bars.close[$0] < bands.middle[$0] })
        #expect(signals.shortEntry == bars.close.indices.map { bars.close[$0] < bands.lower[$0] })
        #expect(signals.shortExit == bars.close.indices.map { bars.close[$0] > bands.middle[$0] })
        #expect(signals.longEntry.contains(true) && signals.shortEntry.contains(true))
    }

    @Test func macdSignalCrossesTheSignalLine() throws {
        let macd = try TA.macd(bars.close, fast: 4, slow: 9, signal: 3)
        var expectedEntry = [Bool](repeating: false, count: bars.count)
        var expectedExit = expectedEntry
        for i in 1..<bars.count {
            let (a0, b0, a1, b1) = (macd.macd[i - 1], macd.signal[i - 1], macd.macd[i], macd.signal[i])
            expectedEntry[i] = a0 < b0 && a1 > b1
            expectedExit[i] = a0 > b0 && a1 < b1
        }
        let signals = try Strategy.compile(named: "macd-signal", parameters: ["fast": 4, "slow": 9, "signal": 3])
            .signals(on: bars)
        #expect(signals.longEntry == expectedEntry)
        #expect(signals.longExit == expectedExit)
        #expect(expectedEntry.contains(true) && expectedExit.contains(true))
    }

    @Test func everyRegistryFunctionIsCallableByItsName() throws {
        for definition in IndicatorRegistry.standard.definitions {
            let name = definition.name.lowercased()
            let callable =
                definition.outputs.count == 1 ? [name] : definition.outputs.map { "\(name)_\($0.lowercased())" }
            for (output, function) in callable.enumerated() {
                let entry = try #require(FunctionCatalog.function(named: function), "\(function) is not callable")
                // Aliases may reshape the parameters; the generic form takes TA-Lib's defaults.
                guard entry.requiredCount <= (definition.inputs == [.close] ? 1 : 0) else { continue }
                let call = definition.inputs == [.close] ? "\(function)(close)" : "\(function)()"
                let values = try ExpressionFixture.values(call, on: bars)
                let defaults = IndicatorArguments(definition.parameters.map(\.defaultValue))
                let expected = try definition.compute(bars, defaults)[output]
                #expect(sameSeries(values, expected, tolerance: 0), "\(call)")
            }
        }
    }

    @Test(arguments: [
        ("stoch_k(7, 3, 4)", "stoch:7,3,0,4,0", 0),
        ("stoch_d(7, 3, 4)", "stoch:7,3,0,4,0", 1),
        ("aroon_up(6)", "aroon:6", 1),
        ("aroon_down(6)", "aroon:6", 0),
        ("bbands_lower(close, 8, 1.5)", "bbands:8,1.5,1.5,0", 2),
        ("macd_hist(close, 5, 11, 4)", "macd:5,11,4", 2),
        ("stddev(close, 6)", "stddev:6,1", 0),
        ("atr(5)", "atr:5", 0),
        ("stochrsi_fastk(close, 9)", "stochrsi:9", 0),
    ])
    func aliasesMatchTheRegistrySpec(expression: String, spec: String, output: Int) throws {
        let expected = try IndicatorRegistry.standard.spec(spec).compute(bars)[output]
        #expect(sameSeries(try ExpressionFixture.values(expression, on: bars), expected, tolerance: 0))
        #expect(expected.contains { !$0.isNaN })
    }

    @Test func registryValidatesParameterValues() throws {
        #expect {
            try Strategy.compile(entry: "rsi(close, n) > 50", parameters: ["n": 200_000]).signals(on: bars)
        } throws: { error in
            let error = error as? ExpressionError
            return error?.code == .parameter && error?.message.contains("100000") == true
        }
    }
}
