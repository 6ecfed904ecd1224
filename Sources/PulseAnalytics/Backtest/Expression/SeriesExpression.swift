/// One numeric expression compiled on its own — a portfolio weight, a ranking score, an indicator a client
/// asks for (`close / sma(close, 50) - 1`) — evaluated over bars to one value per bar.
///
/// ```swift
/// let momentum = try SeriesExpression("close / shift(close, lookback) - 1", parameters: ["lookback": 20])
/// let values = try momentum.values(on: bars)      // [Double], NaN where undefined
/// ```
public struct SeriesExpression: Sendable {
    /// The expression text.
    public let source: String
    /// The parameter values used when an evaluation does not override them.
    public let parameters: [String: Double]
    /// The expression's type: `.number`, `.series` or `.condition` (conditions evaluate to 1 and 0).
    public let type: ValueType
    private let program: Program

    /// Parses and type-checks `source`; bare names that are not series, and `$name`, refer to `parameters`.
    /// - Throws: `ExpressionError` pointing at the column of the first problem.
    public init(_ source: String, parameters: [String: Double] = [:]) throws(ExpressionError) {
        var compiler = Compiler(parameterNames: Set(parameters.keys))
        try compiler.addValue(source)
        let program = compiler.program
        self.source = source
        self.parameters = parameters
        self.type = program.instructions[program.roots[0]].type
        self.program = program
    }

    /// The value on each bar (numbers are repeated; conditions are 1 or 0), `parameters` overriding the
    /// compiled values.
    /// - Throws: `ExpressionError` when a parameter makes a call invalid or the bars lack a needed column.
    public func values(on bars: BarSeries, parameters overrides: [String: Double] = [:]) throws(ExpressionError)
        -> [Double]
    {
        let evaluator = ProgramEvaluator(program: program, base: bars, cache: EvaluationCache())
        let values = parameters.merging(overrides) { _, given in given }
        return try evaluator.evaluateValues(parameters: values).roots[0].series(count: bars.count)
    }
}
