import ArgumentParser
import PulseAnalytics

extension RebalanceSchedule: ExpressibleByArgument {}

extension BacktestCommand {
    /// Several `--input SYMBOL=FILE` sharing one cash balance.
    func runPortfolio() throws {
        guard optimize.isEmpty, walkForward == nil else {
            throw UsageError("--optimize and --walk-forward work on one --input at a time")
        }
        let unsupported = [
            ("--trade-on-close", tradeOnClose), ("--margin", margin != 1), ("--sl", sl != nil), ("--tp", tp != nil),
            ("--trailing", trailing != nil), ("--size", size != nil), ("--units", units != nil),
            ("--size-cash", sizeCash != nil), ("--reenter", reenter != nil), ("--finalize-trades", finalizeTrades),
            ("--limit", limit != nil), ("--stop", stop != nil), ("--sl-price", slPrice != nil),
            ("--tp-price", tpPrice != nil),
        ].filter(\.1).map(\.0)
        guard unsupported.isEmpty else {
            throw UsageError(
                "\(unsupported.joined(separator: ", ")): not available for portfolios (several --input); "
                    + "portfolios size by --weights and fill at each symbol's next open")
        }
        var assets: [PortfolioAsset] = []
        for item in input {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let path = parts.count == 2 ? parts[1] : item
            var symbol = parts.count == 2 ? parts[0] : String(path.split(separator: "/").last ?? Substring(path))
            if parts.count != 2, let dot = symbol.lastIndex(of: ".") { symbol = String(symbol[..<dot]) }
            guard !assets.contains(where: { $0.symbol == symbol }) else {
                throw UsageError("--input \(item): symbol \(symbol) is given twice")
            }
            let bytes = try IndicatorsCommand.readInput(path)
            assets.append(PortfolioAsset(symbol: symbol, bars: try InputBars.bars(from: bytes, input: path)))
        }
        let single = try brokerConfiguration()
        let config = PortfolioConfiguration(single)
        let rule: AllocationRule
        switch weights ?? "signals" {
        case "signals":
            let fixed = try fixedParameters()
            let orders = OrderExpressions(limit: limit, stop: stop, stopLoss: slPrice, takeProfit: tpPrice)
            rule = .signals(
                try assets.map { asset in
                    try StrategyFactory.checked(
                        name: strategy, expressions: [entry, exit, shortEntry, shortExit], orders: orders,
                        bars: asset.bars, fixed: fixed, optimized: [:]
                    ).checkedSignals(fixed).restricted(to: direction)
                })
        case "equal": rule = .equal
        case let text where text.hasPrefix("expr:"):
            let expression = String(text.dropFirst(5))
            rule = .scores(
                try assets.map { asset in
                    do {
                        return try StrategyFactory.series(
                            expression, bars: asset.bars, parameters: try fixedParameters())
                    } catch let error as ExpressionError {
                        throw UsageError("--weights expr:\(expression): \(error)")
                    }
                })
        case let text:
            var map: [String: Double] = [:]
            for pair in text.split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, let w = Double(kv[1]), w.isFinite, assets.contains(where: { $0.symbol == kv[0] })
                else {
                    throw UsageError(
                        "--weights \(text): use signals, equal, or SYMBOL=WEIGHT,... with symbols "
                            + assets.map(\.symbol).joined(separator: ", "))
                }
                map[String(kv[0])] = w
            }
            guard map.values.reduce(0, { $0 + abs($1) }) <= 1 + 1e-9 else {
                throw UsageError("--weights \(text): the absolute weights add up to more than 1")
            }
            rule = .fixed(map)
        }
        let schedule: RebalanceSchedule
        if case .signals = rule { schedule = rebalance ?? .onChange } else { schedule = rebalance ?? .monthly }

        let result: PortfolioResult
        do {
            result = try PortfolioBacktest.run(assets: assets, rule: rule, schedule: schedule, configuration: config)
        } catch { throw UsageError("\(error)") }
        switch format {
        case .json: writeStandardOutput(Array(BacktestReport.json(result).utf8))
        case .text:
            var text = "Portfolio \(result.symbols.joined(separator: ", ")), rebalancing \(schedule.rawValue)\n"
            text += BacktestReport.text(statistics: result.statistics)
            writeStandardOutput(Array(text.utf8))
        }
    }
}
