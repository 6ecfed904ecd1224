/// A strategy expression that cannot be parsed, compiled or evaluated, with what a user needs to fix it:
/// the kind of problem, a message naming the valid choices, and (for problems in the text) the column and the
/// source line, rendered with a caret under the offending character.
///
/// ```
/// expected ')' at column 23
///   crossover(sma(close, 10), sma(close, 20)
///                         ^
/// ```
public struct ExpressionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of problem, opaque so new kinds can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String {
            case syntax, unknownFunction, unknownIdentifier, arity, type, lookAhead, timeframe, parameter, data
        }
        private let kind: Kind

        /// The text does not follow the grammar (a missing parenthesis, a stray character).
        public static let syntax = Code(kind: .syntax)
        /// A call names a function that does not exist.
        public static let unknownFunction = Code(kind: .unknownFunction)
        /// A bare name is neither a series nor a parameter that was given a value.
        public static let unknownIdentifier = Code(kind: .unknownIdentifier)
        /// A call has the wrong number of arguments.
        public static let arity = Code(kind: .arity)
        /// A value of the wrong type: a number where a condition is needed, a series where a period is needed.
        public static let type = Code(kind: .type)
        /// The expression would read bars after the current one (a negative shift).
        public static let lookAhead = Code(kind: .lookAhead)
        /// A higher-timeframe reference (`close@1d`) is malformed or cannot be evaluated on the data.
        public static let timeframe = Code(kind: .timeframe)
        /// A parameter value is out of range for the function it feeds (a period of 0, a fractional period).
        public static let parameter = Code(kind: .parameter)
        /// The bars cannot support the expression (no volume column, no timestamps for `@1d`).
        public static let data = Code(kind: .data)

        public var description: String { kind.rawValue }
    }

    /// What kind of problem this is, for callers that branch on it.
    public var code: Code
    /// What is wrong, without the position (see `description` for the full rendering).
    public var message: String
    /// 1-based column of the offending character in `source`, when the problem has a place in the text.
    public var column: Int?
    /// The expression text the column refers to.
    public var source: String?

    /// An error of kind `code`; `column` (1-based) and `source` place it in the text.
    public init(_ code: Code, _ message: String, column: Int? = nil, source: String? = nil) {
        self.code = code
        self.message = message
        self.column = column
        self.source = source
    }

    /// The message, then (when there is a position) the source line and a caret under the column.
    public var description: String {
        guard let column else { return message }
        var text = "\(message) at column \(column)"
        if let source, !source.contains("\n") {
            text += "\n  \(source)\n  \(String(repeating: " ", count: max(0, column - 1)))^"
        }
        return text
    }

    /// The same error attached to a source text (errors are raised before the compiler knows which of a
    /// strategy's expressions they came from).
    func attached(to source: String) -> ExpressionError {
        var copy = self
        if copy.source == nil { copy.source = source }
        return copy
    }
}
