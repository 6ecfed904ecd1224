/// A parsed and type-checked strategy: evaluate it over bars as often as needed, with different parameter
/// values, without parsing again.
public struct CompiledStrategy: Sendable {
    /// The built-in strategy's name, or nil for conditions given as text.
    public let name: String?
    /// The parameter values used when an evaluation does not override them.
    public let parameters: [String: Double]
    let program: Program
    /// For long entry, long exit, short entry, short exit: the index into `program.roots`, nil when absent.
    let slots: [Int?]
    /// For limit, stop, stop-loss, take-profit: the index into `program.roots`, nil when absent.
    let priceSlots: [Int?]

    init(name: String?, program: Program, slots: [Int?], priceSlots: [Int?] = [], parameters: [String: Double]) {
        self.name = name
        self.program = program
        self.slots = slots
        self.priceSlots = priceSlots
        self.parameters = parameters
    }

    /// The parameters the expressions actually read, sorted.
    public var parameterNames: [String] { program.parameters.sorted() }

    /// An evaluator bound to `bars` that caches indicator results across evaluations: use one per series when
    /// evaluating many parameter sets (an optimisation grid). Safe to share between threads.
    public func evaluator(for bars: BarSeries) -> StrategyEvaluator {
        StrategyEvaluator(strategy: self, bars: bars)
    }

    /// The signals over `bars`, `parameters` overriding the compiled values.
    /// - Throws: `ExpressionError` when a parameter makes a call invalid (a period of 0) or the bars lack what
    ///   the expressions need (volume, timestamps for a higher timeframe).
    public func signals(on bars: BarSeries, parameters: [String: Double] = [:]) throws(ExpressionError)
        -> StrategySignals
    {
        try evaluator(for: bars).signals(parameters: parameters)
    }
}

/// Evaluates one compiled strategy over one bar series for any number of parameter sets.
public struct StrategyEvaluator: Sendable {
    /// The strategy evaluated.
    public let strategy: CompiledStrategy
    /// The bars every evaluation runs over (indicator results are cached for them).
    public let bars: BarSeries
    private let evaluator: ProgramEvaluator

    init(strategy: CompiledStrategy, bars: BarSeries) {
        self.strategy = strategy
        self.bars = bars
        self.evaluator = ProgramEvaluator(program: strategy.program, base: bars, cache: EvaluationCache())
    }

    /// The signals with `parameters` overriding the strategy's values. A parameter the strategy does not read
    /// is an error, so a misspelt optimisation axis is caught.
    public func signals(parameters: [String: Double] = [:]) throws(ExpressionError) -> StrategySignals {
        if let unknown = parameters.keys.sorted().first(where: { strategy.parameters[$0] == nil }) {
            let valid = strategy.parameters.keys.sorted().joined(separator: ", ")
            throw ExpressionError(
                .unknownIdentifier,
                "the strategy has no parameter '\(unknown)'; its parameters: \(valid.isEmpty ? "none" : valid)")
        }
        let values = strategy.parameters.merging(parameters) { _, given in given }
        let (roots, warmup) = try evaluator.evaluateValues(parameters: values)
        let none = [Bool](repeating: false, count: bars.count)
        let columns = strategy.slots.map { slot in slot.map { roots[$0].condition } ?? none }
        var signals = StrategySignals(
            longEntry: columns[0], longExit: columns[1], shortEntry: columns[2], shortExit: columns[3],
            warmupBars: warmup)
        if strategy.priceSlots.contains(where: { $0 != nil }) {
            let prices = strategy.priceSlots.map { slot in slot.map { roots[$0].series(count: bars.count) } }
            signals.orders = OrderInstructions(
                limit: prices[0], stop: prices[1], stopLoss: prices[2], takeProfit: prices[3])
        }
        return signals
    }
}
