/// Turns a named strategy or entry/exit expressions, with parameter values, into signals: the one place where the
/// CLI (`pulse backtest`) and the RPC service (`pulse.v1.Backtests`) build a strategy, so both trade the same.
/// One evaluator per bar series caches every indicator series, so an optimisation grid computes each distinct one
/// once.
///
/// ```swift
/// let factory = try StrategyFactory(
///     name: "sma-cross", expressions: [nil, nil, nil, nil], orders: OrderExpressions(), bars: bars,
///     fixed: ["fast": 10, "slow": 20], optimized: [:])
/// let signals = try factory.signals(["fast": 10, "slow": 20])
/// ```
public struct StrategyFactory: Sendable {
    private let evaluator: StrategyEvaluator
    /// Whether the strategy has a short entry condition.
    public let entersShort: Bool

    /// - Parameters:
    ///   - expressions: long entry, long exit, short entry, short exit; when any is given they replace `name`.
    ///   - fixed: fixed parameter values; `optimized`: optimisation axes (their first values seed compilation).
    /// - Throws: `ExpressionError` for an unknown strategy or parameter, or an expression that does not compile
    ///   (pointing at the column); `BacktestError` for order expressions without entry expressions.
    public init(
        name: String, expressions: [String?], orders: OrderExpressions, bars: BarSeries, fixed: [String: Double],
        optimized: [String: [Double]]
    ) throws {
        var parameters = fixed
        for (key, values) in optimized where parameters[key] == nil { parameters[key] = values.first }
        let compiled: CompiledStrategy
        if expressions.contains(where: { $0 != nil }) {
            compiled = try Strategy.compile(
                entry: expressions[0], exit: expressions[1], shortEntry: expressions[2], shortExit: expressions[3],
                orders: orders, parameters: parameters)
            entersShort = expressions[2] != nil
        } else {
            guard orders == OrderExpressions() else {
                throw BacktestError(
                    .invalidInput,
                    "limit, stop, stop-loss and take-profit price expressions need entry/short-entry expressions")
            }
            compiled = try Strategy.compile(named: name, parameters: parameters)
            entersShort = Strategy.definition(named: name)?.shortEntry != nil
        }
        evaluator = compiled.evaluator(for: bars)
    }

    /// The parameter values the strategy runs with when `signals` overrides none: its defaults and `fixed`.
    public var parameters: [String: Double] { evaluator.strategy.parameters }

    /// The signals for one parameter set.
    public func signals(_ parameters: [String: Double]) throws(ExpressionError) -> StrategySignals {
        try evaluator.signals(parameters: parameters)
    }

    /// Whether an entry on the side already held re-opens the trade by default: true for the built-in crossover
    /// strategies (as backtesting.py's SmaCross), false for expressions.
    public static func reentersByDefault(name: String, expressions: [String?]) -> Bool {
        guard expressions.allSatisfy({ $0 == nil }) else { return false }
        return Strategy.definition(named: name)?.reentersOnRepeatedEntry ?? false
    }

    /// A numeric expression evaluated over one symbol's bars (portfolio weights by expression). The language
    /// evaluates numeric series for order prices at every bar, so the expression is compiled as the limit price of
    /// a strategy that never enters.
    public static func series(
        _ expression: String, bars: BarSeries, parameters: [String: Double]
    ) throws(ExpressionError) -> [Double] {
        let strategy = try Strategy.compile(
            entry: "close != close", orders: OrderExpressions(limit: expression), parameters: parameters)
        let signals = try strategy.signals(on: bars)
        return signals.orders?.limit ?? Array(repeating: .nan, count: bars.count)
    }
}
