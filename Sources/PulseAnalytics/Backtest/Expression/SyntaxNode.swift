/// The parsed form of an expression, before names are resolved and types checked. Every node keeps the
/// column of the token that introduced it, so later errors can point at the text.
indirect enum SyntaxNode: Equatable, Sendable {
    enum UnaryOperator: String, Sendable { case negate = "-", not }
    enum BinaryOperator: String, Sendable {
        case add = "+", subtract = "-", multiply = "*", divide = "/"
        case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "==", notEqual = "!="
        case and, or

        var isComparison: Bool {
            switch self {
            case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: return true
            default: return false
            }
        }
        var isLogical: Bool { self == .and || self == .or }
    }

    case number(Double, column: Int)
    /// `true` / `false`.
    case boolean(Bool, column: Int)
    /// A bare name: a series or a parameter, resolved by the compiler.
    case identifier(String, column: Int)
    /// `$name`.
    case parameter(String, column: Int)
    case unary(UnaryOperator, SyntaxNode, column: Int)
    case binary(BinaryOperator, SyntaxNode, SyntaxNode, column: Int)
    case call(String, [SyntaxNode], column: Int)
    /// `operand@timeframe`: the operand evaluated on bars resampled to the timeframe.
    case timeframe(SyntaxNode, String, column: Int)

    var column: Int {
        switch self {
        case .number(_, let c), .boolean(_, let c), .identifier(_, let c), .parameter(_, let c), .unary(_, _, let c),
            .binary(_, _, _, let c), .call(_, _, let c), .timeframe(_, _, let c):
            return c
        }
    }

    /// Column of the node's first character (an operator's `column` is the operator itself).
    var start: Int {
        switch self {
        case .binary(_, let lhs, _, _): return lhs.start
        case .timeframe(let operand, _, _): return operand.start
        default: return column
        }
    }

    /// A fully parenthesised rendering, used by tests to check precedence and by error messages.
    var rendering: String {
        switch self {
        case .number(let value, _): return Token.format(value)
        case .boolean(let value, _): return value ? "true" : "false"
        case .identifier(let name, _): return name
        case .parameter(let name, _): return "$" + name
        case .unary(.negate, let operand, _): return "(-\(operand.rendering))"
        case .unary(.not, let operand, _): return "(not \(operand.rendering))"
        case .binary(let op, let lhs, let rhs, _): return "(\(lhs.rendering) \(op.rawValue) \(rhs.rendering))"
        case .call(let name, let arguments, _):
            return "\(name)(\(arguments.map(\.rendering).joined(separator: ", ")))"
        case .timeframe(let operand, let text, _): return "\(operand.rendering)@\(text)"
        }
    }
}
