import Synchronization
import Testing

@testable import PulseAnalytics

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Backtest optimiser and control")
struct BacktestOptimizerTests {
    /// A trending wave (period ≈ 50 bars) with a little deterministic noise: SMA crossings at every window pair.
    static let bars: BarSeries = {
        let rows = (0..<400).map { i -> (Double, Double, Double, Double) in
            let x = Double(i)
            let p = 100 + 10 * sin(x / 8) + x * 0.05 + Double((i * 7919) % 13) / 13
            return (p, p + 1, p - 1, p + 0.5)
        }
        return makeBars(rows)
    }()

    static func signals(_ p: [String: Double]) throws -> StrategySignals {
        try Strategy.compile(named: "sma-cross").signals(on: bars, parameters: p)
    }

    @Test("every grid point equals a stand-alone run, results stream once each, the best is the maximum")
    func gridMatchesIndividualRuns() async throws {
        var space = ParameterSpace()
        try space.add(range: "fast=3:9:3")
        try space.add(range: "slow=12:30:6")
        #expect(space.count == 12)
        let streamed = Mutex<[Int]>([])
        var config = BacktestConfiguration()
        config.commission = 0.001
        let outcome = try await Optimizer.run(
            bars: Self.bars, space: space, maximize: "Equity Final [$]", configuration: config, workers: 2,
            makeSignals: { try Self.signals($0) }, onResult: { run in streamed.withLock { $0.append(run.index) } })
        #expect(outcome.runs.count == 12)
        #expect(outcome.runs.allSatisfy { $0.statistics.tradeCount > 3 })
        #expect(streamed.withLock { $0.sorted() } == Array(0..<12))
        for run in outcome.runs {
            let alone = try BacktestEngine.run(
                bars: Self.bars, signals: try Self.signals(run.parameters), configuration: config)
            #expect(run.statistics == alone.statistics)
            #expect(run.parameters == space.combination(run.index))
        }
        let best = try #require(outcome.best)
        let top = outcome.runs.compactMap(\.score).max()
        #expect(best.score == top)
        #expect(outcome.bestResult?.statistics == best.statistics)
    }

    @Test("random search tries the requested number of distinct combinations, reproducibly")
    func randomSearch() async throws {
        var space = ParameterSpace()
        try space.add(range: "fast=2:10")
        try space.add(range: "slow=11:40")
        let run = {
            try await Optimizer.run(
                bars: Self.bars, space: space, method: .random(tries: 15, seed: 7), maximize: "SQN",
                configuration: BacktestConfiguration(), makeSignals: { try Self.signals($0) })
        }
        let a = try await run()
        let b = try await run()
        #expect(a.runs.count == 15)
        #expect(Set(a.runs.map(\.index)).count == 15)
        #expect(a.runs.map(\.index) == b.runs.map(\.index))
    }

    @Test("a cancelled backtest stops with .cancelled; progress reaches 1")
    func cancellationAndProgress() throws {
        let signals = try Self.signals([:])
        let cancelled = BacktestControl(checkInterval: 16, isCancelled: { true })
        #expect(throws: BacktestError(.cancelled, "the backtest was cancelled")) {
            try BacktestEngine.run(bars: Self.bars, signals: signals, configuration: .init(), control: cancelled)
        }
        let seen = Mutex<[Double]>([])
        let watching = BacktestControl(checkInterval: 50, progress: { f in seen.withLock { $0.append(f) } })
        _ = try BacktestEngine.run(bars: Self.bars, signals: signals, configuration: .init(), control: watching)
        let fractions = seen.withLock { $0 }
        #expect(fractions.count >= 7)
        #expect(fractions == fractions.sorted())
        #expect(fractions.last == 1)
    }

    @Test("bad settings and mismatched signals are rejected with a message")
    func validation() {
        var config = BacktestConfiguration()
        config.margin = 0
        #expect(throws: BacktestError.self) {
            try BacktestEngine.run(bars: Self.bars, signals: StrategySignals(count: 400), configuration: config)
        }
        #expect(throws: BacktestError.self) {
            try BacktestEngine.run(bars: Self.bars, signals: StrategySignals(count: 3), configuration: .init())
        }
        var space = ParameterSpace()
        #expect(throws: BacktestError.self) { try space.add(range: "fast=9:1") }
        #expect(throws: BacktestError.self) { try space.add(range: "fast") }
    }
}
