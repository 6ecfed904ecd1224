/// Entry points of the strategy language: compile a built-in strategy by name, or conditions given as text,
/// into a `CompiledStrategy` that evaluates over any `BarSeries` to `StrategySignals`.
///
/// ```swift
/// let strategy = try Strategy.compile(named: "sma-cross", parameters: ["fast": 10, "slow": 20])
/// let signals = try strategy.signals(on: bars)
///
/// let custom = try Strategy.compile(
///     entry: "rsi(close, 14) < 30 and close > sma(close@1d, 50)", exit: "rsi(close, 14) > 70")
/// ```
public enum Strategy {
    /// The built-in strategy called `name`, or nil.
    public static func definition(named name: String) -> StrategyDefinition? {
        builtIn.first { $0.name == name }
    }

    /// Every built-in strategy with its parameters and expressions, for `--list-strategies` and `--help`.
    public static var listing: String { builtIn.map(\.listing).joined(separator: "\n\n") }

    /// Compiles a built-in strategy. `parameters` override its defaults; a name it does not have is an error
    /// (a typo would otherwise be silently ignored).
    /// - Throws: `ExpressionError` with code `.unknownIdentifier` for an unknown strategy or parameter.
    public static func compile(
        named name: String, parameters: [String: Double] = [:]
    ) throws(ExpressionError) -> CompiledStrategy {
        guard let definition = definition(named: name) else {
            throw ExpressionError(
                .unknownIdentifier,
                "unknown strategy '\(name)'\(NameSuggestion.hint(for: name, among: builtIn.map(\.name)))"
                    + "; built-in strategies: \(builtIn.map(\.name).joined(separator: ", "))")
        }
        return try compile(definition, parameters: parameters)
    }

    /// Compiles a definition, its defaults overridden by `parameters`.
    public static func compile(
        _ definition: StrategyDefinition, parameters: [String: Double] = [:]
    ) throws(ExpressionError) -> CompiledStrategy {
        let defaults = definition.defaults
        if let unknown = parameters.keys.sorted().first(where: { defaults[$0] == nil }) {
            let valid = definition.parameters.map(\.name).joined(separator: ", ")
            throw ExpressionError(
                .unknownIdentifier,
                "\(definition.name) has no parameter '\(unknown)'"
                    + NameSuggestion.hint(for: unknown, among: definition.parameters.map(\.name))
                    + "; its parameters: \(valid.isEmpty ? "none" : valid)")
        }
        return try compileConditions(
            name: definition.name,
            conditions: [definition.longEntry, definition.longExit, definition.shortEntry, definition.shortExit],
            parameters: defaults.merging(parameters) { _, given in given })
    }

    /// Compiles conditions given as text. Bare names that are not series (`fast` in `sma(close, fast)`) and
    /// `$name` refer to `parameters`, whose values can be replaced at each evaluation without reparsing.
    /// At least one of the four conditions must be given; a missing one is never true.
    /// - Throws: `ExpressionError` pointing at the column of the first problem.
    /// `orders` optionally gives price levels for the orders entries place (limit, stop, stop-loss,
    /// take-profit), as series expressions.
    public static func compile(
        entry: String?, exit: String? = nil, shortEntry: String? = nil, shortExit: String? = nil,
        orders: OrderExpressions = OrderExpressions(), parameters: [String: Double] = [:]
    ) throws(ExpressionError) -> CompiledStrategy {
        guard entry != nil || shortEntry != nil else {
            throw ExpressionError(.syntax, "a strategy needs an entry or a short entry condition")
        }
        return try compileConditions(
            name: nil, conditions: [entry, exit, shortEntry, shortExit], orders: orders, parameters: parameters)
    }

    private static func compileConditions(
        name: String?, conditions: [String?], orders: OrderExpressions = OrderExpressions(),
        parameters: [String: Double]
    ) throws(ExpressionError) -> CompiledStrategy {
        var compiler = Compiler(parameterNames: Set(parameters.keys))
        var slots: [Int?] = []
        let roles = ["long entry", "long exit", "short entry", "short exit"]
        for (role, text) in zip(roles, conditions) {
            guard let text else {
                slots.append(nil)
                continue
            }
            try compiler.addCondition(text, role: role)
            slots.append(compiler.program.roots.count - 1)
        }
        var priceSlots: [Int?] = []
        for (role, text) in orders.all {
            guard let text else {
                priceSlots.append(nil)
                continue
            }
            try compiler.addPrice(text, role: role)
            priceSlots.append(compiler.program.roots.count - 1)
        }
        return CompiledStrategy(
            name: name, program: compiler.program, slots: slots, priceSlots: priceSlots, parameters: parameters)
    }
}
