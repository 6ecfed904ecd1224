/// One lexical unit of a strategy expression, with the 1-based column where it starts.
struct Token: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        case number(Double)
        /// A bare name: a series (`close`), a keyword (`and`), a function name or a parameter.
        case identifier(String)
        /// `$name`: explicitly a parameter.
        case parameter(String)
        /// `@1d`: the text after the `@`.
        case timeframe(String)
        case leftParen, rightParen, comma
        case plus, minus, star, slash
        case less, lessEqual, greater, greaterEqual, equal, notEqual
        case end
    }

    var kind: Kind
    var column: Int

    /// How the token reads in an error message ("expected ')' but found ','").
    var spelling: String {
        switch kind {
        case .number(let value): return Token.format(value)
        case .identifier(let name): return "'\(name)'"
        case .parameter(let name): return "'$\(name)'"
        case .timeframe(let text): return "'@\(text)'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .comma: return "','"
        case .plus: return "'+'"
        case .minus: return "'-'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .less: return "'<'"
        case .lessEqual: return "'<='"
        case .greater: return "'>'"
        case .greaterEqual: return "'>='"
        case .equal: return "'=='"
        case .notEqual: return "'!='"
        case .end: return "the end of the expression"
        }
    }

    /// Integral numbers print without a fraction, so `sma(close, 10)` reads back as written.
    static func format(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
