/// One step of a compiled program. Programs are straight-line: operands always precede their users, so
/// evaluation is a single pass over the array, and identical steps are stored once (hash-consing), so
/// `sma(close, 10)` used in two places is computed once.
struct Instruction: Hashable, Sendable {
    enum Operation: Hashable, Sendable {
        case constant(Double)
        case truth(Bool)
        case parameter(String)
        case column(BarColumn)
        case negate
        case not
        case arithmetic(SyntaxNode.BinaryOperator)
        case comparison(SyntaxNode.BinaryOperator)
        case logical(SyntaxNode.BinaryOperator)
        case call(String)
        /// Carries a higher-timeframe value onto the base bars: each base bar sees the value of the last
        /// higher-timeframe bar that had completed by that base bar's close.
        case toBase
    }

    var operation: Operation
    var operands: [Int]
    var type: ValueType
    /// The bars the step runs on: nil for the base series, else a higher timeframe.
    var timeframe: Timeframe?
}

/// Where an instruction came from, for runtime errors (a parameter that makes a period invalid).
struct SourceSite: Sendable {
    var expression: Int
    var column: Int
    var operandColumns: [Int]
}

/// A compiled strategy's code: the instructions shared by all its expressions and the root of each.
struct Program: Sendable {
    var instructions: [Instruction]
    var sites: [SourceSite]
    /// The source text of each compiled expression, indexed by `SourceSite.expression`.
    var sources: [String]
    /// Root instruction of each expression, in the order they were compiled.
    var roots: [Int]
    /// Every parameter name the expressions read.
    var parameters: Set<String>
}
