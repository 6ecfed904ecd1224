import PulseAnalytics
import PulseProtocol
import PulseRPC

extension BacktestsService {
    /// One `OptimizeResult` per parameter set as each finishes. At most `workers` sets are computed ahead of the
    /// stream: the next set starts only after a finished one was queued for the client, so a slow reader slows
    /// the search instead of growing the server's memory; cancellation stops the sets running.
    static func optimize(
        _ request: PulseV1.OptimizeRequest, writer: StreamWriter<PulseV1.OptimizeResult>, stored: StoredBars,
        workers: Int, context: ServerContext
    ) async throws {
        guard let base = request.base else {
            throw GRPCStatus(.invalidArgument, "base: give the backtest to optimise (data or a symbol, a strategy)")
        }
        let space = try parameterSpace(request.grid)
        let maximize = request.maximize.isEmpty ? "Sharpe Ratio" : request.maximize
        guard let statistic = BacktestStatistics.resolveName(maximize) else {
            throw GRPCStatus(
                .invalidArgument,
                "maximize \(maximize): unknown statistic; use a backtesting.py name ("
                    + BacktestStatistics.names.joined(separator: ", ") + ") or one of "
                    + BacktestStatistics.aliases.keys.sorted().joined(separator: ", "))
        }
        let tries = Int(request.maxTries)
        let method: Optimizer.Method =
            tries > 0 && tries < space.count ? .random(tries: tries, seed: request.randomSeed) : .grid
        guard min(space.count, tries > 0 ? tries : .max) <= maxOptimizeRuns else {
            throw GRPCStatus(
                .resourceExhausted,
                "the grid has \(space.count == .max ? "too many" : String(space.count)) parameter sets; at most "
                    + "\(maxOptimizeRuns) per call (use max_tries for a random search)")
        }
        let chosen: [Int]
        do { chosen = try Optimizer.choose(space: space, method: method, constraint: nil) } catch {
            throw GRPCStatus(.invalidArgument, error.message)
        }
        let axes = Dictionary(uniqueKeysWithValues: zip(space.names, space.values))
        let plan = try await Self.plan(base, stored: stored, context: context, optimized: axes)
        guard case .single(let symbol, let bars, let factory, let configuration) = plan.run else {
            throw GRPCStatus(.invalidArgument, "Optimize works on one symbol")
        }
        let pool = context.computePool
        let statisticsContext = try await pool.run { StatisticsContext(bars: bars) }
        let details = request.includeDetails
        let job: @Sendable (Int) async throws -> PulseV1.OptimizeResult = { index in
            try await ComputeJob.run(on: pool) { isCancelled in
                let (run, result) = try Optimizer.evaluate(
                    index: index, space: space, bars: bars, maximize: statistic, configuration: configuration,
                    control: BacktestControl(isCancelled: isCancelled), context: statisticsContext,
                    makeSignals: { p in try factory.signals(plan.fixed.merging(p) { $1 }) })
                let used = plan.parameters.merging(run.parameters) { $1 }
                var message = PulseV1.OptimizeResult()
                message.parameters = space.names.map { PulseV1.StrategyParameter(name: $0, value: run.parameters[$0]!) }
                message.score = run.score ?? .nan
                if details {
                    message.result = WireResults.result(
                        result, symbol: symbol, bars: bars, parameters: used, maxEquityPoints: plan.maxEquityPoints)
                } else {
                    var summary = PulseV1.BacktestResult()
                    summary.statistics = WireResults.statistics(result.statistics)
                    summary.parameters = WireResults.parameters(used)
                    message.result = summary
                }
                return message
            }
        }
        try await withThrowingTaskGroup(of: PulseV1.OptimizeResult.self) { group in
            var next = 0
            while next < min(workers, chosen.count) {
                let index = chosen[next]
                group.addTask { try await job(index) }
                next += 1
            }
            var completed: UInt32 = 0
            while var message = try await group.next() {
                completed += 1
                message.completed = completed
                message.total = UInt32(chosen.count)
                try await writer.send(message)
                if next < chosen.count {
                    let index = chosen[next]
                    group.addTask { try await job(index) }
                    next += 1
                }
            }
        }
    }

    /// The grid as `pulse backtest --optimize NAME=START:STOP:STEP` (or `NAME=V1,V2,…` for `values`) reads it.
    static func parameterSpace(_ grid: [PulseV1.ParameterRange]) throws(GRPCStatus) -> ParameterSpace {
        guard !grid.isEmpty else {
            throw GRPCStatus(
                .invalidArgument,
                "grid: give at least one parameter range, e.g. {name: \"fast\", "
                    + "start: 5, stop: 30, step: 5}")
        }
        var space = ParameterSpace()
        for (k, range) in grid.enumerated() {
            do throws(BacktestError) {
                if !range.values.isEmpty {
                    if let bad = range.values.first(where: { !$0.isFinite }) {
                        throw BacktestError(.invalidInput, "value \(bad) is not finite")
                    }
                    guard !range.name.isEmpty else { throw BacktestError(.invalidInput, "the name is empty") }
                    try space.add(range.name, values: range.values)
                } else if range.step == 0 && range.start == range.stop && !range.name.isEmpty {
                    try space.add(range.name, values: [range.start])
                } else {
                    try space.add(range: "\(range.name)=\(range.start):\(range.stop):\(range.step)")
                }
            } catch {
                throw GRPCStatus(.invalidArgument, "grid[\(k)] \(range.name): \(error.message)")
            }
        }
        return space
    }
}
