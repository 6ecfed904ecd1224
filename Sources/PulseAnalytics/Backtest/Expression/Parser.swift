/// Recursive-descent parser for the strategy expression language (grammar in LANGUAGE.md).
///
/// Precedence, loosest first: `or`, `and`, `not`, comparisons (non-associative), `+ -`, `* /`, unary `-`,
/// postfix `@timeframe`, then numbers, names, calls and parentheses.
struct Parser {
    private let tokens: [Token]
    private let source: String
    private var position = 0
    /// Nesting depth, bounded so a hostile input cannot exhaust the stack.
    private var depth = 0
    static let maximumDepth = 200

    /// Parses a whole expression; anything left over is an error.
    static func parse(_ source: String) throws(ExpressionError) -> SyntaxNode {
        var parser = Parser(tokens: try Lexer.tokenize(source), source: source)
        if parser.current.kind == .end { throw parser.error("empty expression", at: parser.current) }
        let node = try parser.expression()
        guard parser.current.kind == .end else {
            throw parser.error("unexpected \(parser.current.spelling) after a complete expression", at: parser.current)
        }
        return node
    }

    private init(tokens: [Token], source: String) {
        self.tokens = tokens
        self.source = source
    }

    private var current: Token { tokens[position] }
    private mutating func advance() -> Token {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func isKeyword(_ word: String) -> Bool { current.kind == .identifier(word) }

    private mutating func expression() throws(ExpressionError) -> SyntaxNode {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Parser.maximumDepth else {
            throw error("expression nested more than \(Parser.maximumDepth) levels deep", at: current)
        }
        return try disjunction()
    }

    private mutating func disjunction() throws(ExpressionError) -> SyntaxNode {
        var node = try conjunction()
        var links = 0
        while isKeyword("or") {
            try checkChain(&links)
            let column = advance().column
            node = .binary(.or, node, try conjunction(), column: column)
        }
        return node
    }

    private mutating func conjunction() throws(ExpressionError) -> SyntaxNode {
        var node = try negation()
        var links = 0
        while isKeyword("and") {
            try checkChain(&links)
            let column = advance().column
            node = .binary(.and, node, try negation(), column: column)
        }
        return node
    }

    private mutating func negation() throws(ExpressionError) -> SyntaxNode {
        if isKeyword("not") {
            let column = advance().column
            depth += 1
            defer { depth -= 1 }
            guard depth <= Parser.maximumDepth else { throw error("too many 'not' in a row", at: current) }
            return .unary(.not, try negation(), column: column)
        }
        return try comparison()
    }

    private mutating func comparison() throws(ExpressionError) -> SyntaxNode {
        let node = try additive()
        guard let op = Parser.comparisonOperator(current.kind) else { return node }
        let column = advance().column
        let rhs = try additive()
        if Parser.comparisonOperator(current.kind) != nil {
            throw error("comparisons cannot be chained; combine them with 'and'", at: current)
        }
        return .binary(op, node, rhs, column: column)
    }

    private static func comparisonOperator(_ kind: Token.Kind) -> SyntaxNode.BinaryOperator? {
        switch kind {
        case .less: return .less
        case .lessEqual: return .lessEqual
        case .greater: return .greater
        case .greaterEqual: return .greaterEqual
        case .equal: return .equal
        case .notEqual: return .notEqual
        default: return nil
        }
    }

    private mutating func additive() throws(ExpressionError) -> SyntaxNode {
        var node = try multiplicative()
        var links = 0
        while current.kind == .plus || current.kind == .minus {
            try checkChain(&links)
            let token = advance()
            node = .binary(token.kind == .plus ? .add : .subtract, node, try multiplicative(), column: token.column)
        }
        return node
    }

    private mutating func multiplicative() throws(ExpressionError) -> SyntaxNode {
        var node = try unary()
        var links = 0
        while current.kind == .star || current.kind == .slash {
            try checkChain(&links)
            let token = advance()
            node = .binary(token.kind == .star ? .multiply : .divide, node, try unary(), column: token.column)
        }
        return node
    }

    private mutating func unary() throws(ExpressionError) -> SyntaxNode {
        if current.kind == .minus {
            let column = advance().column
            depth += 1
            defer { depth -= 1 }
            guard depth <= Parser.maximumDepth else { throw error("too many '-' in a row", at: current) }
            return .unary(.negate, try unary(), column: column)
        }
        if current.kind == .plus { _ = advance() }
        return try postfix()
    }

    private mutating func postfix() throws(ExpressionError) -> SyntaxNode {
        var node = try primary()
        var links = 0
        while case .timeframe(let text) = current.kind {
            try checkChain(&links)
            let column = advance().column
            node = .timeframe(node, text, column: column)
        }
        return node
    }

    private mutating func primary() throws(ExpressionError) -> SyntaxNode {
        let token = current
        switch token.kind {
        case .number(let value):
            _ = advance()
            return .number(value, column: token.column)
        case .parameter(let name):
            _ = advance()
            return .parameter(name, column: token.column)
        case .leftParen:
            _ = advance()
            let node = try expression()
            try expect(.rightParen, "')'")
            return node
        case .identifier(let name):
            if ["and", "or", "not"].contains(name) {
                throw error("expected a value but found the keyword '\(name)'", at: token)
            }
            _ = advance()
            if name == "true" || name == "false" { return .boolean(name == "true", column: token.column) }
            guard current.kind == .leftParen else { return .identifier(name, column: token.column) }
            _ = advance()
            var arguments: [SyntaxNode] = []
            if current.kind != .rightParen {
                arguments.append(try expression())
                while current.kind == .comma {
                    _ = advance()
                    arguments.append(try expression())
                }
            }
            try expect(.rightParen, "')'")
            return .call(name, arguments, column: token.column)
        default:
            throw error(
                "expected a number, a series, a parameter, a call or '(' but found \(token.spelling)", at: token)
        }
    }

    /// A chain `a + b + c + …` builds a tree as deep as it is long: bound it like nesting, so compiling and
    /// freeing the tree cannot exhaust the stack.
    private func checkChain(_ links: inout Int) throws(ExpressionError) {
        links += 1
        guard depth + links <= Parser.maximumDepth else {
            throw error("expression has more than \(Parser.maximumDepth) operators in a chain", at: current)
        }
    }

    private mutating func expect(_ kind: Token.Kind, _ spelling: String) throws(ExpressionError) {
        guard current.kind == kind else {
            let found = current.kind == .end ? "" : " but found \(current.spelling)"
            throw error("expected \(spelling)\(found)", at: current)
        }
        _ = advance()
    }

    private func error(_ message: String, at token: Token) -> ExpressionError {
        ExpressionError(.syntax, message, column: token.column, source: source)
    }
}
