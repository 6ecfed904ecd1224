/// Splits an expression into tokens. Columns count characters from 1, so a caret under the source line
/// points at the right place.
struct Lexer {
    private let characters: [Character]
    private let source: String
    private var index = 0

    init(_ source: String) {
        self.source = source
        self.characters = Array(source)
    }

    /// All tokens, ending with `.end`.
    static func tokenize(_ source: String) throws(ExpressionError) -> [Token] {
        var lexer = Lexer(source)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private var current: Character? { index < characters.count ? characters[index] : nil }
    private func peek(_ offset: Int = 1) -> Character? {
        index + offset < characters.count ? characters[index + offset] : nil
    }

    private mutating func next() throws(ExpressionError) -> Token {
        while let c = current, c.isWhitespace { index += 1 }
        let column = index + 1
        guard let c = current else { return Token(kind: .end, column: column) }
        if c.isASCIIDigit || (c == "." && peek()?.isASCIIDigit == true) {
            return Token(kind: .number(try number(column: column)), column: column)
        }
        if c.isIdentifierStart {
            return Token(kind: .identifier(word()), column: column)
        }
        index += 1
        switch c {
        case "$":
            guard current?.isIdentifierStart == true else {
                throw error("expected a parameter name after '$'", column: column + 1)
            }
            return Token(kind: .parameter(word()), column: column)
        case "@":
            var text = ""
            while let d = current, d.isASCIIDigit || d.isLetter {
                text.append(d)
                index += 1
            }
            guard !text.isEmpty else {
                throw error("expected a timeframe such as 1h, 1d or 1w after '@'", column: column + 1)
            }
            return Token(kind: .timeframe(text), column: column)
        case "(": return Token(kind: .leftParen, column: column)
        case ")": return Token(kind: .rightParen, column: column)
        case ",": return Token(kind: .comma, column: column)
        case "+": return Token(kind: .plus, column: column)
        case "-": return Token(kind: .minus, column: column)
        case "*": return Token(kind: .star, column: column)
        case "/": return Token(kind: .slash, column: column)
        case "<": return Token(kind: take("=") ? .lessEqual : .less, column: column)
        case ">": return Token(kind: take("=") ? .greaterEqual : .greater, column: column)
        case "=":
            guard take("=") else { throw error("expected '==' (comparison), found '='", column: column) }
            return Token(kind: .equal, column: column)
        case "!":
            guard take("=") else { throw error("expected '!=' (use 'not' to negate a condition)", column: column) }
            return Token(kind: .notEqual, column: column)
        default:
            throw error("unexpected character '\(c)'", column: column)
        }
    }

    private mutating func take(_ expected: Character) -> Bool {
        guard current == expected else { return false }
        index += 1
        return true
    }

    private mutating func word() -> String {
        var text = ""
        while let c = current, c.isIdentifierStart || c.isASCIIDigit {
            text.append(c)
            index += 1
        }
        return text
    }

    private mutating func number(column: Int) throws(ExpressionError) -> Double {
        var text = ""
        while let c = current, c.isASCIIDigit || c == "." {
            text.append(c)
            index += 1
        }
        if let c = current, c == "e" || c == "E",
            let n = peek(), n.isASCIIDigit || ((n == "+" || n == "-") && peek(2)?.isASCIIDigit == true)
        {
            text.append("e")
            index += 1
            if let sign = current, sign == "+" || sign == "-" {
                text.append(sign)
                index += 1
            }
            while let c = current, c.isASCIIDigit {
                text.append(c)
                index += 1
            }
        }
        guard let value = Double(text), value.isFinite else {
            throw error("malformed number '\(text)'", column: column)
        }
        if let c = current, c.isIdentifierStart {
            throw error("unexpected '\(c)' after the number \(text)", column: index + 1)
        }
        return value
    }

    private func error(_ message: String, column: Int) -> ExpressionError {
        ExpressionError(.syntax, message, column: column, source: source)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
    fileprivate var isIdentifierStart: Bool { (isASCII && isLetter) || self == "_" }
}
