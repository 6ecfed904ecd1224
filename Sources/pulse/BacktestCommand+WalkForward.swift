import PulseAnalytics

extension BacktestCommand {
    /// `--walk-forward IN:OUT`: prints `{"maximize", "folds": [{in_sample, out_of_sample, params, score, stats,
    /// trades}]}` (JSON) or one line per fold (text).
    func runWalkForward(
        _ spec: String, bars: BarSeries, space: ParameterSpace, method: Optimizer.Method, statistic: String,
        config: BacktestConfiguration, fixed: [String: Double]
    ) async throws {
        let parts = spec.split(separator: ":").map { Int($0) }
        guard parts.count == 2, let inBars = parts[0], let outBars = parts[1], inBars >= 2, outBars >= 2 else {
            throw UsageError("--walk-forward \(spec): expected IN:OUT bar counts, e.g. 500:100")
        }
        let folds: [WalkForward.Fold]
        let expressions = [entry, exit, shortEntry, shortExit]
        let orders = OrderExpressions(limit: limit, stop: stop, stopLoss: slPrice, takeProfit: tpPrice)
        let name = strategy
        let optimized = Dictionary(uniqueKeysWithValues: zip(space.names, space.values))
        // Validate the strategy once up front so a bad name or expression is a usage error.
        _ = try StrategyFactory.checked(
            name: name, expressions: expressions, orders: orders, bars: bars, fixed: fixed, optimized: optimized)
        do {
            folds = try await WalkForward.run(
                bars: bars, inSampleBars: inBars, outOfSampleBars: outBars, space: space, method: method,
                maximize: statistic, configuration: config, workers: workers,
                signalSource: { [direction] slice in
                    let factory = try StrategyFactory.checked(
                        name: name, expressions: expressions, orders: orders, bars: slice, fixed: fixed,
                        optimized: optimized)
                    return { p in try factory.checkedSignals(fixed.merging(p) { $1 }).restricted(to: direction) }
                })
        } catch let error as BacktestError { throw UsageError("\(error)") }
        switch format {
        case .json:
            let items = folds.map { f in
                "{\"in_sample\":[\(f.inSample.lowerBound),\(f.inSample.upperBound)],"
                    + "\"out_of_sample\":[\(f.outOfSample.lowerBound),\(f.outOfSample.upperBound)],"
                    + "\"params\":" + Self.paramsJSON(f.bestParameters, order: space.names) + ",\"score\":"
                    + (f.inSampleScore.map(BacktestReport.number) ?? "null") + ",\"stats\":"
                    + BacktestReport.statsJSON(f.outOfSampleResult.statistics) + "}"
            }
            let text =
                "{\"maximize\":" + BacktestReport.string(statistic) + ",\"folds\":[" + items.joined(separator: ",")
                + "]}\n"
            writeStandardOutput(Array(text.utf8))
        case .text:
            var text = "Walk-forward \(inBars):\(outBars), maximising \(statistic)\n"
            for f in folds {
                let s = f.outOfSampleResult.statistics
                text += "bars \(f.outOfSample.lowerBound)..<\(f.outOfSample.upperBound): "
                text += space.names.map { "\($0)=\(Self.number(f.bestParameters[$0] ?? .nan))" }.joined(separator: " ")
                text += "  out-of-sample return \(BacktestReport.number(s.returnPercent))%, \(s.tradeCount) trades\n"
            }
            writeStandardOutput(Array(text.utf8))
        }
    }
}
