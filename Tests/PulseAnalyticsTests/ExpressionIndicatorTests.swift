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
                try ExpressionFixture.values("sma(close - open, 4)", on: bars), try TA.sma(spread, period: 4),
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

    @Test func registryValidatesParameterValues() throws {
        #expect {
            try Strategy.compile(entry: "rsi(close, n) > 50", parameters: ["n": 200_000]).signals(on: bars)
        } throws: { error in
            let error = error as? ExpressionError
            return error?.code == .parameter && error?.message.contains("100000") == true
        }
    }
}
