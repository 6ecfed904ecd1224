import ArgumentParser
import PulseAnalytics

/// Turns a named strategy or entry/exit expressions, with parameter values, into signals. One evaluator per
/// bar series caches every indicator series, so an optimisation grid computes each distinct one once.
struct StrategyFactory: Sendable {
    private let evaluator: StrategyEvaluator

    /// - Parameters:
    ///   - expressions: long entry, long exit, short entry, short exit; when any is given they replace `name`.
    ///   - fixed: `--param` values; `optimized`: the `--optimize` axes (their first values seed compilation).
    init(
        name: String, expressions: [String?], orders: OrderExpressions, bars: BarSeries, fixed: [String: Double],
        optimized: [String: [Double]]
    ) throws {
        var parameters = fixed
        for (key, values) in optimized where parameters[key] == nil { parameters[key] = values.first }
        let compiled: CompiledStrategy
        do {
            if expressions.contains(where: { $0 != nil }) {
                compiled = try Strategy.compile(
                    entry: expressions[0], exit: expressions[1], shortEntry: expressions[2],
                    shortExit: expressions[3], orders: orders, parameters: parameters)
            } else {
                guard orders == OrderExpressions() else {
                    throw UsageError(
                        "--limit, --stop, --sl-price and --tp-price need --entry/--short-entry expressions")
                }
                compiled = try Strategy.compile(named: name, parameters: parameters)
            }
        } catch {
            throw UsageError("\(error)")
        }
        evaluator = compiled.evaluator(for: bars)
    }

    func signals(_ parameters: [String: Double]) throws -> StrategySignals {
        do { return try evaluator.signals(parameters: parameters) } catch { throw UsageError("\(error)") }
    }
}

extension TradeDirection: ExpressibleByArgument {}
