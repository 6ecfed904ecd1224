import PulseAnalytics
import PulseClient
import PulseProtocol
import PulseServer
import Testing

@Suite("Backtests over gRPC")
struct BacktestsServiceTests {
    static func request(
        _ bars: PulseV1.BarSeries, strategy: String = "sma-cross", parameters: [String: Double] = [:]
    ) -> PulseV1.BacktestRequest {
        var request = PulseV1.BacktestRequest()
        request.data = [bars]
        var wire = PulseV1.Strategy()
        wire.name = strategy
        wire.parameters = parameters.keys.sorted().map { PulseV1.StrategyParameter(name: $0, value: parameters[$0]!) }
        request.strategy = wire
        request.commission = 0.002
        return request
    }

    static func optimizeRequest(_ bars: PulseV1.BarSeries, _ grid: [PulseV1.ParameterRange]) -> PulseV1.OptimizeRequest
    {
        var request = PulseV1.OptimizeRequest()
        request.base = Self.request(bars)
        request.grid = grid
        return request
    }

    @Test(
        "Buy and hold by hand: 99 units at the third open (the first signal is at bar 1), equity 1,990, the trade still open"
    )
    func handComputed() async throws {
        var bars = ServiceFixture.walk(count: 5)
        bars.open = [10, 10, 10, 20, 20]
        bars.close = bars.open
        bars.high = bars.open
        bars.low = bars.open
        var request = PulseV1.BacktestRequest()
        request.data = [bars]
        var strategy = PulseV1.Strategy()
        strategy.entry = "close > 0"
        request.strategy = strategy
        request.cash = 1000
        let result = try await ServiceFixture.withClient { client in
            try await client.unary(PulseMethods.Backtests.run, request)
        }
        #expect(result.statistic("Equity Final [$]")?.value == 1990)
        #expect(result.statistic("Return [%]")?.value == 99)
        #expect(result.statistic("# Trades")?.value == 0)
        #expect(result.statistic("Win Rate [%]")?.value.isNaN == true)
        #expect(result.statistic("Start") == PulseV1.Statistic(name: "Start", value: 1_577_923_200_000, kind: .timeMs))
        #expect(result.statistic("Duration") == PulseV1.Statistic(name: "Duration", value: 4, kind: .durationDays))
        #expect(result.statistics.map(\.name) == BacktestStatistics.names)
        #expect(result.trades.isEmpty)
        #expect(result.openTrades.count == 1)
        #expect(result.openTrades.first?.size == 99)
        #expect(result.openTrades.first?.entryTimeMs == bars.timeMs[2])
        #expect(result.equity?.equity == [1000, 1000, 1000, 1990, 1990])
    }

    @Test("Run equals the engine through the CLI's wiring; RunStream sends progress, then that result last")
    func runAndStream() async throws {
        let bars = ServiceFixture.walk(count: 2000, seed: 3)
        let request = Self.request(bars, parameters: ["fast": 10, "slow": 20])
        let library = ServiceFixture.analyticsBars(bars)
        let factory = try StrategyFactory(
            name: "sma-cross", expressions: [nil, nil, nil, nil], orders: OrderExpressions(), bars: library,
            fixed: ["fast": 10, "slow": 20], optimized: [:])
        let configuration = try BacktestConfiguration(
            commission: 0.002, strategy: "sma-cross", expressions: [nil, nil, nil, nil])
        let expected = try BacktestEngine.run(
            bars: library, signals: try factory.signals(["fast": 10, "slow": 20]), configuration: configuration)
        try await ServiceFixture.withClient { client in
            let result = try await client.backtests.run(request)
            #expect(result.trades.count == expected.trades.count)
            #expect(result.trades.map(\.pnl) == expected.trades.map(\.pnl))
            #expect(result.statistic("Sharpe Ratio")?.value == expected.statistics.sharpeRatio)
            #expect(result.equity?.equity == expected.equity)
            #expect(result.parameters.map(\.name) == ["fast", "slow"])
            var events: [PulseV1.BacktestEvent] = []
            for try await event in client.backtests.runStream(request) {
                events.append(event)
            }
            guard case .result(let streamed)? = events.last?.event else {
                Issue.record("the last event is not the result")
                return
            }
            #expect(streamed == result)
            let progress = events.dropLast().compactMap { event -> PulseV1.BacktestProgress? in
                if case .progress(let p)? = event.event { return p }
                return nil
            }
            #expect(progress.count == events.count - 1)
            #expect(progress.count >= 2)
            #expect(progress.last == PulseV1.BacktestProgress(barsDone: 2000, barsTotal: 2000))
        }
    }

    @Test("Optimize: one result per set with completed/total, the best equal to Optimizer's")
    func optimize() async throws {
        let bars = ServiceFixture.walk(count: 800, seed: 5)
        var request = Self.optimizeRequest(
            bars,
            [
                PulseV1.ParameterRange(name: "fast", start: 5, stop: 20, step: 5),
                .init(name: "slow", values: [30, 40, 50]),
            ])
        request.maximize = "sharpe"
        let library = ServiceFixture.analyticsBars(bars)
        var space = ParameterSpace()
        try space.add(range: "fast=5:20:5")
        try space.add("slow", values: [30, 40, 50])
        let factory = try StrategyFactory(
            name: "sma-cross", expressions: [nil, nil, nil, nil], orders: OrderExpressions(), bars: library,
            fixed: [:], optimized: Dictionary(uniqueKeysWithValues: zip(space.names, space.values)))
        let outcome = try await Optimizer.run(
            bars: library, space: space, maximize: "Sharpe Ratio",
            configuration: try BacktestConfiguration(
                commission: 0.002, strategy: "sma-cross", expressions: [nil, nil, nil, nil]),
            makeSignals: { try factory.signals($0) })
        let results = try await ServiceFixture.withClient(computeThreads: 2) { client in
            var all: [PulseV1.OptimizeResult] = []
            for try await result in client.backtests.optimize(request) { all.append(result) }
            return all
        }
        #expect(results.count == 12)
        #expect(results.map(\.completed) == Array(1...12))
        #expect(results.allSatisfy { $0.total == 12 })
        let best = try #require(results.max { $0.score < $1.score })
        let expectedBest = try #require(outcome.best)
        #expect(best.score == expectedBest.score)
        #expect(
            Dictionary(uniqueKeysWithValues: best.parameters.map { ($0.name, $0.value) }) == expectedBest.parameters)
        #expect(results.allSatisfy { $0.result?.trades.isEmpty == true && $0.result?.statistics.count == 32 })
    }

    @Test("Cancelling Optimize stops the work: the one compute thread is free for the next call at once")
    func cancelOptimize() async throws {
        let bars = ServiceFixture.walk(count: 3000, seed: 9)
        let request = Self.optimizeRequest(
            bars, ["fast", "slow"].map { PulseV1.ParameterRange(name: $0, start: 2, stop: 200, step: 1) })
        try await ServiceFixture.withClient(computeThreads: 1) { client in
            var received = 0
            for try await result in client.serverStream(PulseMethods.Backtests.optimize, request) {
                #expect(result.total == 199 * 199)
                received += 1
                if received == 3 { break }
            }
            let clock = ContinuousClock()
            let start = clock.now
            let result = try await client.unary(PulseMethods.Backtests.run, Self.request(bars))
            #expect(result.statistics.count == 32)
            // 39,601 sets would take minutes; a cancelled search leaves the thread within one set. The bound is
            // generous because the other suites run in parallel on the same cores.
            #expect(clock.now - start < .seconds(20))
        }
    }

    @Test(
        "Bad requests are INVALID_ARGUMENT with the problem in the message",
        arguments: [
            ("expression", "column"), ("strategy", "built-in strategies"), ("parameter", "its parameters"),
            ("commission", "commission"), ("portfolio", "not available for portfolios"), ("empty", "symbol"),
        ])
    func badRequests(kind: String, needle: String) async throws {
        let bars = ServiceFixture.walk(count: 100)
        var request = Self.request(bars)
        switch kind {
        case "expression":
            request.strategy?.name = ""
            request.strategy?.entry = "sma(close, 10) >> 3"
        case "strategy": request.strategy?.name = "nope"
        case "parameter": request.strategy?.parameters = [PulseV1.StrategyParameter(name: "fsat", value: 3)]
        case "commission": request.commission = 0.5
        case "portfolio":
            var second = bars
            second.symbol = "OTHER"
            request.data.append(second)
            request.stopLoss = 0.1
        default: request.data = []
        }
        try await ServiceFixture.withClient { client in
            await #expect {
                _ = try await client.unary(PulseMethods.Backtests.run, request)
            } throws: { error in
                let rpc = error as? RPCError
                return rpc?.code == .invalidArgument && rpc?.message.contains(needle) == true
            }
        }
    }
}
