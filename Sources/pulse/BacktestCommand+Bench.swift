import PulseAnalytics

#if canImport(Glibc)
    import Glibc
#endif

extension BacktestCommand {
    /// `--bench N` (hidden, used by Benchmarks/backtest): times the whole engine path N times — indicator series,
    /// signals, simulation, statistics (and the grid with --optimize) — and prints the best and median times
    /// with the CSV parse time as one JSON line.
    func runBenchmark(
        bars: BarSeries, config: BacktestConfiguration, fixed: [String: Double], space: ParameterSpace, repeats: Int,
        parseTime: Duration
    ) async throws {
        guard repeats >= 1 else { throw UsageError("--bench needs at least 1 repeat") }
        var times: [Double] = []
        var cpuTimes: [Double] = []
        var check = 0.0
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            let cpuStart = Self.processCPUMilliseconds()
            let factory = try StrategyFactory.checked(
                name: strategy, expressions: [entry, exit, shortEntry, shortExit], orders: OrderExpressions(),
                bars: bars, fixed: fixed,
                optimized: Dictionary(uniqueKeysWithValues: zip(space.names, space.values)))
            if space.names.isEmpty {
                let result = try BacktestEngine.run(
                    bars: bars, signals: try factory.checkedSignals(fixed).restricted(to: direction),
                    configuration: config)
                check = result.statistics.equityFinal
            } else {
                let statistic = BacktestStatistics.resolveName(maximize) ?? "SQN"
                let outcome = try await Optimizer.run(
                    bars: bars, space: space, maximize: statistic, configuration: config, workers: workers,
                    makeSignals: { [direction] p in
                        try factory.checkedSignals(fixed.merging(p) { $1 }).restricted(to: direction)
                    })
                check = outcome.best?.score ?? .nan
            }
            times.append(Self.milliseconds(ContinuousClock.now - start))
            cpuTimes.append(Self.processCPUMilliseconds() - cpuStart)
        }
        times.sort()
        cpuTimes.sort()
        let line =
            "{\"bars\":\(bars.count),\"parse_ms\":\(Self.milliseconds(parseTime)),\"engine_best_ms\":\(times[0]),"
            + "\"engine_median_ms\":\(times[times.count / 2]),\"engine_cpu_best_ms\":\(cpuTimes[0]),"
            + "\"repeats\":\(repeats),\"check\":\(check)}\n"
        writeStandardOutput(Array(line.utf8))
    }

    /// CPU time of the whole process (every thread), which a loaded machine does not inflate the way it does
    /// wall time.
    static func processCPUMilliseconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}
