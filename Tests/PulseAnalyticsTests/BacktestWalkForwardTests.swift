import Testing

@testable import PulseAnalytics

@Suite("Backtest walk-forward")
struct BacktestWalkForwardTests {
    @Test("folds roll by the out-of-sample length; each trades its in-sample optimum on unseen bars only")
    func folds() async throws {
        let bars = BacktestOptimizerTests.bars
        var space = ParameterSpace()
        try space.add(range: "fast=3:9:3")
        try space.add(range: "slow=12:24:6")
        let strategy = try Strategy.compile(named: "sma-cross")
        let folds = try await WalkForward.run(
            bars: bars, inSampleBars: 150, outOfSampleBars: 80, space: space, maximize: "Return [%]",
            configuration: BacktestConfiguration(),
            signalSource: { slice in
                let evaluator = strategy.evaluator(for: slice)
                return { p in try evaluator.signals(parameters: p) }
            })
        #expect(folds.map(\.outOfSample) == [150..<230, 230..<310, 310..<390])
        #expect(folds.map(\.inSample) == [0..<150, 80..<230, 160..<310])
        for fold in folds {
            let train = bars.slice(fold.inSample)
            let optimum = try await Optimizer.run(
                bars: train, space: space, maximize: "Return [%]", configuration: BacktestConfiguration(),
                makeSignals: { p in try strategy.signals(on: train, parameters: p) })
            #expect(optimum.best?.parameters == fold.bestParameters)
            // Signals over everything up to the fold's end, cut to the fold: bars after it cannot matter.
            let upToEnd = bars.slice(0..<fold.outOfSample.upperBound)
            let all = try strategy.signals(on: upToEnd, parameters: fold.bestParameters)
            let cut = all.dropFirst(fold.outOfSample.lowerBound)
            let alone = try BacktestEngine.run(
                bars: bars.slice(fold.outOfSample), signals: cut, configuration: BacktestConfiguration())
            #expect(alone.trades == fold.outOfSampleResult.trades)
            #expect(alone.equity == fold.outOfSampleResult.equity)
        }
    }

    @Test("a series too short for one fold is rejected")
    func tooShort() async {
        await #expect(throws: BacktestError.self) {
            _ = try await WalkForward.run(
                bars: makeBars(flatRows(10, 1)), inSampleBars: 8, outOfSampleBars: 5, space: ParameterSpace(),
                maximize: "SQN", configuration: BacktestConfiguration(),
                signalSource: { _ in { _ in StrategySignals(count: 0) } })
        }
    }
}
