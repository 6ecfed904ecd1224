import ArgumentParser
import Foundation
import PulseAnalytics

/// `pulse backtest`: backtests a strategy over an OHLCV CSV file, optionally optimising its parameters.
///
/// ```
/// pulse backtest --input GOOG.csv --strategy sma-cross --param fast=10 --param slow=20 --cash 10000 \
///     --commission 0.002 --format text
/// pulse backtest --input GOOG.csv --optimize fast=5:30:5 --optimize slow=20:80:10 --maximize sharpe
/// ```
struct BacktestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Backtest a strategy over an OHLCV CSV file.",
        discussion: """
            Fills follow backtesting.py 0.6.6 with exclusive orders: signals at a bar's close; market orders \
            fill at the next bar's open (--trade-on-close: at that close); whole units unless --fractional; \
            1 - 2.2e-16 of available margin per entry unless --size/--units/--size-cash; commission on entry \
            and exit. A new entry closes the open position first; an entry on the side already held is \
            ignored unless --reenter (the default for the crossover strategies). Stop-loss is checked before take-profit within a bar.
            Strategies: --strategy NAME (see --list-strategies) or --entry/--exit/--short-entry/--short-exit \
            expressions (Sources/PulseAnalytics/Backtest/Expression/LANGUAGE.md), parameters with --param.
            JSON output: {"stats": {backtesting.py name: value}, "trades": [...], "open_trade": ..., \
            "equity": [{"time", "equity", "drawdown_pct"}]}; with --optimize also "maximize", "best" and \
            "results" (every parameter set with its ranking statistic), stats/trades/equity being the best \
            run's; with --walk-forward IN:OUT {"maximize", "folds": [...]}. Numbers are JSON numbers, \
            undefined values null, Start/End ISO 8601, durations days.
            Portfolio: several --input SYMBOL=FILE share one cash balance; --weights signals (default: each \
            symbol trades the strategy, symbols in a position share equity equally), equal, SYM=W,..., or expr:EXPR (positive values, normalised); \
            --rebalance on-change|daily|weekly|monthly. Orders fill at each symbol's own next bar.
            Bad flags, unreadable files and bad expressions exit with status 2.
            """)

    @Option(
        name: .long,
        help: "The OHLCV CSV file to read, or - for standard input; repeat as SYMBOL=FILE for a portfolio.")
    var input: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Portfolio weights: signals (each symbol trades the strategy), equal, SYM=W,SYM=W, or expr:EXPRESSION "
                + "(weights proportional to each symbol's positive value, e.g. 'expr:close / shift(close, 20) - 1')."))
    var weights: String?

    @Option(name: .long, help: "Portfolio rebalancing: on-change, daily, weekly or monthly.")
    var rebalance: RebalanceSchedule?

    @Option(name: .long, help: "Named strategy: sma-cross, ema-cross, rsi-reversion, bollinger-breakout, macd-signal.")
    var strategy: String = "sma-cross"

    @Option(name: .long, help: "Long entry condition in the expression language (replaces --strategy).")
    var entry: String?

    @Option(name: .long, help: "Long exit condition.")
    var exit: String?

    @Option(name: .long, help: "Short entry condition.")
    var shortEntry: String?

    @Option(name: .long, help: "Short exit condition.")
    var shortExit: String?

    @Option(name: .long, help: "Limit price expression for entries (e.g. 'close * 0.99'): limit orders.")
    var limit: String?

    @Option(name: .long, help: "Stop price expression for entries: stop orders (stop-limit with --limit).")
    var stop: String?

    @Option(name: .long, help: "Stop-loss price expression attached to each entry (e.g. 'close - 2 * atr(14)').")
    var slPrice: String?

    @Option(name: .long, help: "Take-profit price expression attached to each entry.")
    var tpPrice: String?

    @Flag(name: .long, help: "List the built-in strategies with their parameters and expressions.")
    var listStrategies = false

    @Option(name: .long, help: "A strategy parameter as NAME=VALUE (repeatable), e.g. fast=10.")
    var param: [String] = []

    @Option(name: .long, help: "Sides to trade: both, long or short (the other side's entries become exits).")
    var direction: TradeDirection = .both

    @Option(name: .long, help: "Starting cash.")
    var cash: Double = 10_000

    @Option(name: .long, help: "Commission as a fraction of traded value, on entry and exit (0.002 = 0.2%).")
    var commission: Double = 0

    @Option(name: .long, help: "Fixed commission in cash per fill, on entry and exit (adds to --commission).")
    var fixedCommission: Double = 0

    @Option(name: .long, help: "Slippage as a fraction of price against the trader on entries (backtesting.py spread).")
    var slippage: Double = 0

    @Option(name: .long, help: "Margin requirement in (0, 1]; leverage = 1/margin.")
    var margin: Double = 1

    @Flag(name: .long, help: "Fill market orders at the signal bar's close instead of the next open.")
    var tradeOnClose = false

    @Option(name: .long, help: "Size each entry as this fraction of available margin, in (0, 1].")
    var size: Double?

    @Option(name: .long, help: "Size each entry as this many units.")
    var units: Double?

    @Option(name: .long, help: "Size each entry as this much cash.")
    var sizeCash: Double?

    @Flag(
        inversion: .prefixedNo,
        help: """
            Whether an entry signal while already in a position on that side closes and re-opens it. Default: on for \
            the crossover strategies (sma-cross, ema-cross, macd-signal, as backtesting.py's SmaCross), off otherwise.
            """)
    var reenter: Bool?

    @Flag(name: .long, help: "Close a trade open at the end (at the last bar's open) so it counts in the statistics.")
    var finalizeTrades = false

    @Flag(name: .long, help: "Allow fractional units.")
    var fractional = false

    @Option(name: .long, help: "Stop-loss as a fraction from the signal bar's close (0.05 = 5%).")
    var sl: Double?

    @Option(name: .long, help: "Take-profit as a fraction from the signal bar's close.")
    var tp: Double?

    @Option(name: .long, help: "Trailing stop as a fraction from each close.")
    var trailing: Double?

    @Option(name: .long, help: "Optimise a parameter over NAME=START:STOP[:STEP] or NAME=V1,V2,... (repeatable).")
    var optimize: [String] = []

    @Option(
        name: .long, help: "Statistic to maximise: a backtesting.py name or sharpe, sortino, calmar, return, sqn, ...")
    var maximize: String = "sqn"

    @Option(name: .long, help: "Optimisation method: grid or random.")
    var method: String = "grid"

    @Option(name: .long, help: "Parameter sets to try with --method random.")
    var maxTries: Int = 100

    @Option(name: .long, help: "Seed of --method random.")
    var seed: UInt64 = 1

    @Option(
        name: .long,
        help: "Walk-forward with --optimize: IN:OUT bars (optimise on IN bars, trade the best on the next OUT, roll).")
    var walkForward: String?

    @Option(name: .long, help: "Worker tasks for --optimize.")
    var workers: Int = 2

    @Option(name: .long, help: "Output format: json or text.")
    var format: OutputFormat = .json

    @Option(name: .long, help: .hidden)
    var bench: Int?

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case json, text
    }

    func run() async throws {
        if listStrategies {
            writeStandardOutput(Array((Strategy.listing + "\n").utf8))
            return
        }
        guard let first = input.first else {
            throw UsageError("--input FILE.csv (or - for standard input) is required")
        }
        if input.count > 1 || weights != nil || rebalance != nil {
            try runPortfolio()
            return
        }
        let input = first
        let config = try brokerConfiguration()
        let bytes = try IndicatorsCommand.readInput(input)
        let parseStart = ContinuousClock.now
        let bars = try InputBars.bars(from: bytes, input: input)
        let parseTime = ContinuousClock.now - parseStart
        guard !bars.isEmpty else { throw UsageError("\(input): no bars") }
        let fixed = try fixedParameters()
        var space = ParameterSpace()
        for text in optimize {
            do { try space.add(range: text) } catch { throw UsageError("--optimize \(text): \(error)") }
        }
        let factory = try StrategyFactory.checked(
            name: strategy, expressions: [entry, exit, shortEntry, shortExit],
            orders: OrderExpressions(limit: limit, stop: stop, stopLoss: slPrice, takeProfit: tpPrice), bars: bars,
            fixed: fixed,
            optimized: Dictionary(uniqueKeysWithValues: zip(space.names, space.values)))
        if let bench {
            try await runBenchmark(
                bars: bars, config: config, fixed: fixed, space: space, repeats: bench, parseTime: parseTime)
            return
        }
        if optimize.isEmpty {
            let result: BacktestResult
            do {
                result = try BacktestEngine.run(
                    bars: bars, signals: try factory.checkedSignals(fixed).restricted(to: direction),
                    configuration: config)
            } catch let error as BacktestError { throw UsageError("\(error)") }
            switch format {
            case .json: writeStandardOutput(Array(BacktestReport.json(result, bars: bars).utf8))
            case .text: writeStandardOutput(Array(BacktestReport.text(result).utf8))
            }
            return
        }
        guard let statistic = BacktestStatistics.resolveName(maximize) else {
            throw UsageError(
                "--maximize \(maximize): unknown statistic; use a backtesting.py name or one of "
                    + BacktestStatistics.aliases.keys.sorted().joined(separator: ", "))
        }
        let searchMethod: Optimizer.Method
        switch method {
        case "grid": searchMethod = .grid
        case "random":
            guard maxTries > 0 else { throw UsageError("--max-tries must be positive") }
            searchMethod = .random(tries: maxTries, seed: seed)
        default: throw UsageError("--method \(method): use grid or random")
        }
        guard workers >= 1 else { throw UsageError("--workers must be at least 1") }
        if let walkForward {
            try await runWalkForward(
                walkForward, bars: bars, space: space, method: searchMethod, statistic: statistic, config: config,
                fixed: fixed)
            return
        }
        let outcome: Optimizer.Outcome
        do {
            outcome = try await Optimizer.run(
                bars: bars, space: space, method: searchMethod, maximize: statistic, configuration: config,
                workers: workers,
                makeSignals: { [direction] p in
                    try factory.checkedSignals(fixed.merging(p) { $1 }).restricted(to: direction)
                }
            )
        } catch let error as BacktestError { throw UsageError("\(error)") }
        guard let best = outcome.bestResult, let bestRun = outcome.best else {
            throw UsageError("no parameter set gave a defined \(statistic)")
        }
        switch format {
        case .json:
            let results =
                "["
                + outcome.runs.map { run in
                    "{\"params\":" + Self.paramsJSON(run.parameters, order: space.names) + ","
                        + BacktestReport.string(statistic) + ":" + (run.score.map(BacktestReport.number) ?? "null")
                        + "}"
                }.joined(separator: ",") + "]"
            let extra = [
                ("maximize", BacktestReport.string(statistic)),
                ("best", Self.paramsJSON(bestRun.parameters, order: space.names)), ("results", results),
            ]
            writeStandardOutput(Array(BacktestReport.json(best, bars: bars, extra: extra).utf8))
        case .text:
            var text = "Best of \(outcome.runs.count) by \(statistic): "
            text += space.names.map { "\($0)=\(Self.number(bestRun.parameters[$0]!))" }.joined(separator: " ") + "\n"
            writeStandardOutput(Array((text + BacktestReport.text(best)).utf8))
        }
    }

    func brokerConfiguration() throws -> BacktestConfiguration {
        let sizings = [
            size.map { PositionSizing.equityFraction($0) }, units.map { .units($0) }, sizeCash.map { .cash($0) },
        ]
        .compactMap { $0 }
        guard sizings.count <= 1 else { throw UsageError("give at most one of --size, --units, --size-cash") }
        do {
            return try BacktestConfiguration(
                cash: cash, commission: commission, fixedCommission: fixedCommission, slippage: slippage,
                margin: margin, tradeOnClose: tradeOnClose, fractional: fractional, sizing: sizings.first,
                reenter: reenter, strategy: strategy, expressions: [entry, exit, shortEntry, shortExit],
                finalizeTrades: finalizeTrades, stopLoss: sl, takeProfit: tp, trailingStop: trailing)
        } catch { throw UsageError("\(error)") }
    }

    func fixedParameters() throws -> [String: Double] {
        var result: [String: Double] = [:]
        for text in param {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Double(parts[1]), value.isFinite else {
                throw UsageError("--param \(text): expected NAME=NUMBER, e.g. fast=10")
            }
            result[parts[0]] = value
        }
        return result
    }

    static func paramsJSON(_ p: [String: Double], order: [String]) -> String {
        "{"
            + order.map { BacktestReport.string($0) + ":" + BacktestReport.number(p[$0] ?? .nan) }.joined(
                separator: ",") + "}"
    }

    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)" }
}
