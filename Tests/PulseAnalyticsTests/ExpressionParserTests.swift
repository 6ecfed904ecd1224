import Testing

@testable import PulseAnalytics

@Suite struct ExpressionParserTests {
    @Test(arguments: [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("a - b - c", "((a - b) - c)"),
        ("a / b * c", "((a / b) * c)"),
        ("-a * b", "((-a) * b)"),
        ("a - -b", "(a - (-b))"),
        ("a + b > c * 2", "((a + b) > (c * 2))"),
        ("a > 1 and b < 2 or c >= 3", "(((a > 1) and (b < 2)) or (c >= 3))"),
        ("a > 1 or b < 2 and c >= 3", "((a > 1) or ((b < 2) and (c >= 3)))"),
        ("not a > b and c", "((not (a > b)) and c)"),
        ("not not x", "(not (not x))"),
        ("(a + b) * c", "((a + b) * c)"),
        ("sma(close, 10) != sma(close@1d, 5)", "(sma(close, 10) != sma(close@1d, 5))"),
        ("-close@1w", "(-close@1w)"),
        ("sma(close, $fast)@1d <= 2.5e1", "(sma(close, $fast)@1d <= 25)"),
        ("f()", "f()"),
        ("x == .5", "(x == 0.5)"),
    ])
    func precedence(source: String, rendering: String) throws {
        #expect(try Parser.parse(source).rendering == rendering)
    }

    @Test func recordsColumns() throws {
        guard case .binary(.greater, let lhs, let rhs, let column) = try Parser.parse("  close > sma(close, 3)") else {
            Issue.record("expected a comparison")
            return
        }
        #expect(column == 9)
        #expect(lhs.column == 3)
        #expect(rhs.column == 11)
    }

    @Test(arguments: [
        // source, column, fragment of the message
        ("crossover(sma(close, 10), sma(close, 20)", 41, "expected ')'"),
        ("crossover(sma(close, 10) sma(close, 20))", 26, "expected ')' but found 'sma'"),
        ("close > > 3", 9, "expected a number"),
        ("close = 3", 7, "'=='"),
        ("close ! 3", 7, "'!='"),
        ("1 < 2 < 3", 7, "cannot be chained"),
        ("close # 3", 7, "unexpected character '#'"),
        ("close > 3)", 10, "after a complete expression"),
        ("", 1, "empty expression"),
        ("close@ > 1", 7, "timeframe"),
        ("sma(close, 10,) > 1", 15, "expected a number"),
        ("$ > 1", 2, "parameter name"),
        ("10x > 1", 3, "after the number"),
        ("close > 1.2.3", 9, "malformed number"),
        ("close and", 10, "expected a number"),
    ])
    func syntaxErrorsPointAtTheColumn(source: String, column: Int, fragment: String) {
        #expect(throws: ExpressionError.self) { try Parser.parse(source) }
        do {
            _ = try Parser.parse(source)
        } catch {
            #expect(error.code == .syntax)
            #expect(error.column == column, "\(error)")
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test func descriptionShowsSourceAndCaret() {
        let source = "crossover(sma(close, 10), sma(close, 20)"
        let error = ExpressionFixture.compileError(source)
        let caret = String(repeating: " ", count: 2 + 40) + "^"
        #expect(error?.description == "expected ')' at column 41\n  \(source)\n\(caret)")
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let source = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        #expect(throws: ExpressionError.self) { try Parser.parse(source) }
        let negations = String(repeating: "-", count: 10_000) + "1"
        #expect(throws: ExpressionError.self) { try Parser.parse(negations) }
        let nots = String(repeating: "not ", count: 10_000) + "true"
        #expect(throws: ExpressionError.self) { try Parser.parse(nots) }
        let chain = "1" + String(repeating: " + 1", count: 100_000) + " > 0"
        #expect(throws: ExpressionError.self) { try Parser.parse(chain) }
    }

    @Test func hugeNamesAreRejectedQuickly() {
        let name = String(repeating: "x", count: 100_000)
        let call = ExpressionFixture.compileError("\(name)(close) > 1")
        #expect(call?.code == .unknownFunction)
        let bare = ExpressionFixture.compileError("close > \(name)")
        #expect(bare?.code == .unknownIdentifier)
    }
}
