import Testing

@testable import PulseAnalytics

/// Built-in strategies, parameter substitution, the evaluation cache, and the absence of look-ahead.
@Suite struct ExpressionStrategyTests {
    // sma2 − sma3 by hand: bars 2…11 → −.5, −.5, −⅙, +.5, +.5, +.5, +⅙, −.5, −.5, −.5.
    let closes: [Double] = [5, 4, 3, 2, 3, 4, 5, 6, 5, 4, 3, 2]

    @Test func smaCrossGoesLongAndShortOnStrictCrossings() throws {
        let strategy = try Strategy.compile(named: "sma-cross", parameters: ["fast": 2, "slow": 3])
        let signals = try strategy.signals(on: ExpressionFixture.bars(closes: closes))
        #expect(signals.longEntry.indices.filter { signals.longEntry[$0] } == [5])
        #expect(signals.shortEntry.indices.filter { signals.shortEntry[$0] } == [9])
        #expect(!signals.longExit.contains(true) && !signals.shortExit.contains(true))
        // The slow SMA is first defined at bar 2.
        #expect(signals.warmupBars == 2)
    }

    @Test func defaultsApplyAndUnknownParametersAreRejected() throws {
        let strategy = try Strategy.compile(named: "sma-cross")
        #expect(strategy.parameters == ["fast": 10, "slow": 20])
        #expect {
            try Strategy.compile(named: "sma-cross", parameters: ["fsat": 3])
        } throws: { error in
            let message = (error as? ExpressionError)?.message ?? ""
            return message.contains("fast, slow") && message.contains("did you mean 'fast'?")
        }
        #expect {
            try Strategy.compile(named: "sma-crosss")
        } throws: { error in
            let message = (error as? ExpressionError)?.message ?? ""
            return message.contains("rsi-reversion") && message.contains("did you mean 'sma-cross'?")
        }
    }

    @Test func everyBuiltInCompilesAndIsListed() throws {
        #expect(
            Strategy.builtIn.map(\.name) == [
                "sma-cross", "ema-cross", "rsi-reversion", "bollinger-breakout", "macd-signal",
            ])
        let bars = ExpressionFixture.bars(closes: ExpressionFixture.wave(count: 120, period: 6))
        for definition in Strategy.builtIn {
            let signals = try Strategy.compile(named: definition.name).signals(on: bars)
            #expect(signals.count == bars.count)
            #expect(signals.longEntry.contains(true), "\(definition.name) never enters on a sine wave")
            #expect(Strategy.listing.contains(definition.listing))
        }
        #expect(Strategy.listing.contains("long entry: crossover(sma(close, fast), sma(close, slow))"))
    }

    @Test func customConditionsMatchTheNamedStrategy() throws {
        let bars = ExpressionFixture.bars(closes: closes)
        let named = try Strategy.compile(named: "sma-cross", parameters: ["fast": 2, "slow": 3]).signals(on: bars)
        let custom = try Strategy.compile(
            entry: "crossover(sma(close, $fast), sma(close, $slow))",
            shortEntry: "crossunder(sma(close, 2), sma(close, 3))",
            parameters: ["fast": 2, "slow": 3]
        ).signals(on: bars)
        #expect(custom == named)
    }

    @Test func gridEvaluationWithTheCacheEqualsFreshEvaluations() throws {
        let bars = ExpressionFixture.bars(closes: ExpressionFixture.wave(count: 300))
        let strategy = try Strategy.compile(named: "sma-cross")
        let evaluator = strategy.evaluator(for: bars)
        for fast in stride(from: 2.0, through: 12, by: 2) {
            for slow in stride(from: 4.0, through: 24, by: 4) {
                let parameters = ["fast": fast, "slow": slow]
                let cached = try evaluator.signals(parameters: parameters)
                let fresh = try Strategy.compile(named: "sma-cross", parameters: parameters).signals(on: bars)
                #expect(cached == fresh, "fast \(fast) slow \(slow)")
            }
        }
    }

    @Test func aTinyCacheStillGivesTheSameSignals() throws {
        let bars = ExpressionFixture.bars(closes: ExpressionFixture.wave(count: 200))
        let strategy = try Strategy.compile(named: "sma-cross")
        let tiny = ProgramEvaluator(
            program: strategy.program, base: bars, cache: EvaluationCache(budget: 300, identityLimit: 3))
        for (fast, slow) in [(2.0, 5.0), (5, 2), (3, 9), (2, 5), (9, 3)] {
            let parameters = ["fast": fast, "slow": slow]
            let roots = try tiny.evaluate(parameters: parameters).roots
            let fresh = try strategy.signals(on: bars, parameters: parameters)
            #expect(roots[0] == fresh.longEntry && roots[1] == fresh.shortEntry, "fast \(fast) slow \(slow)")
        }
    }

    @Test func oneEvaluatorServesConcurrentEvaluations() async throws {
        let bars = ExpressionFixture.bars(closes: ExpressionFixture.wave(count: 400))
        let strategy = try Strategy.compile(named: "sma-cross")
        let evaluator = strategy.evaluator(for: bars)
        let grid = (2...9).flatMap { fast in (10...17).map { slow in (Double(fast), Double(slow)) } }
        let results = try await withThrowingTaskGroup(of: (Int, StrategySignals).self) { group in
            for (index, (fast, slow)) in grid.enumerated() {
                group.addTask { (index, try evaluator.signals(parameters: ["fast": fast, "slow": slow])) }
            }
            var results: [Int: StrategySignals] = [:]
            for try await (index, signals) in group { results[index] = signals }
            return results
        }
        for (index, (fast, slow)) in grid.enumerated() {
            let fresh = try strategy.signals(on: bars, parameters: ["fast": fast, "slow": slow])
            #expect(results[index] == fresh)
        }
    }

    /// No look-ahead, tested as a property: the signal at bar i computed from all bars equals the signal at
    /// bar i computed from bars 0…i only. Any expression that read a later bar would break it.
    @Test(arguments: [
        "crossover(sma(close, 3), sma(close, 5))",
        "close > highest(prev(high), 4) and volume > sma(volume, 3)",
        "shift(close, 2) < close and not crossunder(ema(close, 3), close)",
        "min(close, open) > lowest(low, 5) + abs(close - prev(close))",
    ])
    func signalsUseOnlyPastBars(entry: String) throws {
        let closes = ExpressionFixture.wave(count: 40, level: 50, amplitude: 5, period: 3)
        let bars = ExpressionFixture.bars(closes: closes, volume: closes.indices.map { Double(($0 * 13) % 17) })
        let strategy = try Strategy.compile(entry: entry)
        let full = try strategy.signals(on: bars).longEntry
        for end in 1...bars.count {
            let prefix = BarSeries(
                labels: Array(bars.labels[..<end]), timestamps: bars.timestamps.map { Array($0[..<end]) },
                open: Array(bars.open[..<end]), high: Array(bars.high[..<end]), low: Array(bars.low[..<end]),
                close: Array(bars.close[..<end]), volume: bars.volume.map { Array($0[..<end]) })
            let partial = try strategy.signals(on: prefix).longEntry
            #expect(partial == Array(full[..<end]), "bars 0..<\(end)")
        }
        #expect(full.contains(true))
    }

    @Test func orderPricesAreSeriesExpressions() throws {
        let bars = ExpressionFixture.bars(closes: [10, 11, 12, 13])
        let strategy = try Strategy.compile(
            entry: "close > open",
            orders: OrderExpressions(stopLoss: "low - k", takeProfit: "prev(close) * 2"), parameters: ["k": 0.5])
        let orders = try #require(try strategy.signals(on: bars).orders)
        // low = close − 1 in the fixture.
        #expect(orders.stopLoss == [8.5, 9.5, 10.5, 11.5])
        #expect(sameSeries(orders.takeProfit ?? [], [.nan, 20, 22, 24]))
        #expect(orders.limit == nil && orders.stop == nil)
        #expect(try Strategy.compile(entry: "close > open").signals(on: bars).orders == nil)
        #expect {
            try Strategy.compile(entry: "close > open", orders: OrderExpressions(limit: "close > 1"))
        } throws: { error in
            (error as? ExpressionError)?.message.contains("limit price must be a price") == true
        }
    }
}
