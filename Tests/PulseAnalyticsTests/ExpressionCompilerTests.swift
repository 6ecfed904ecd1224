import Testing

@testable import PulseAnalytics

/// Name resolution and type errors, reported when a strategy is compiled, before any bar is read.
@Suite struct ExpressionCompilerTests {
    @Test func unknownFunctionListsTheValidOnes() throws {
        let error = try #require(ExpressionFixture.compileError("close > smaa(close, 3)"))
        #expect(error.code == .unknownFunction)
        #expect(error.column == 9)
        #expect(error.message.contains("did you mean 'sma'?"))
        #expect(ExpressionFixture.compileError("SMA(close, 3) > 1")?.message.contains("did you mean 'sma'?") == true)
        #expect(ExpressionFixture.compileError("zzzzzz(close) > 1")?.message.contains("did you mean") == false)
        for name in ["sma", "ema", "crossover", "shift", "highest"] {
            #expect(error.message.contains(name), "\(error.message)")
        }
    }

    @Test func wrongArityNamesTheExpectedParameters() throws {
        let error = try #require(ExpressionFixture.compileError("close > sma(close)"))
        #expect(error.code == .arity)
        #expect(error.column == 9)
        #expect(error.message.contains("sma(x, n)"), "\(error.message)")
        #expect(error.message.contains("given 1"), "\(error.message)")
        let tooMany = try #require(ExpressionFixture.compileError("crossover(close, open, high)"))
        #expect(tooMany.code == .arity)
        #expect(tooMany.message.contains("crossover(a, b)"))
    }

    @Test(arguments: [
        // source, column of the offending operand, fragment
        ("sma(close, 3)", 1, "must be a condition"),
        ("close + 1", 1, "must be a condition"),
        ("3", 1, "must be a condition"),
        ("close and open > 1", 1, "'and' needs conditions but its left side is a series"),
        ("close > 1 or 2", 14, "right side is a number"),
        ("not close", 5, "'not' needs a condition"),
        ("(close > 1) + 1 > 0", 2, "'+' needs numbers or series"),
        ("-(close > 1)", 1, "'-' needs a number or a series"),
        ("sma(close, close) > 1", 12, "sma: n must be a number or a parameter"),
        ("crossover(close > 1, open)", 11, "crossover: a must be a series or a number, not a condition"),
        ("shift(3, 1) > 1", 7, "shift: x must be a series or a condition"),
        ("sma(close, 2.5) > 1", 12, "whole number"),
        ("sma(close, 0) > 1", 12, "whole number from 1"),
    ])
    func typeErrorsAtCompileTime(source: String, column: Int, fragment: String) throws {
        let error = try #require(ExpressionFixture.compileError(source))
        #expect(error.code == .type || error.code == .parameter)
        #expect(error.column == column, "\(error)")
        #expect(error.message.contains(fragment), "\(error.message)")
    }

    @Test func unknownNamesSuggestParameters() throws {
        let error = try #require(ExpressionFixture.compileError("close > fsat", parameters: ["fast": 1, "slow": 2]))
        #expect(error.code == .unknownIdentifier)
        #expect(error.column == 9)
        #expect(error.message.contains("fast, slow"))
        #expect(error.message.contains("did you mean 'fast'?"))
        #expect(error.message.contains("open, high, low, close, volume"))
        let bare = try #require(ExpressionFixture.compileError("close > sma"))
        #expect(bare.message.contains("sma(x, n)"))
        let dollar = try #require(ExpressionFixture.compileError("close > $fast"))
        #expect(dollar.code == .unknownIdentifier)
        #expect(dollar.message.contains("--param fast=VALUE"))
    }

    @Test func negativeShiftIsRejectedAsLookAhead() throws {
        let error = try #require(ExpressionFixture.compileError("shift(close, -1) > close"))
        #expect(error.code == .lookAhead)
        #expect(error.column == 14)
        #expect(ExpressionFixture.compileError("shift(close, 0 - 2) > close")?.code == .lookAhead)
        #expect(ExpressionFixture.compileError("shift(close, 0) > close")?.code == .parameter)
    }

    @Test func negativeShiftFromAParameterIsRejectedAtEvaluation() throws {
        let strategy = try Strategy.compile(entry: "shift(close, n) < close", parameters: ["n": 1])
        let bars = ExpressionFixture.bars(closes: [1, 2, 3, 4])
        #expect(try strategy.signals(on: bars).longEntry == [false, true, true, true])
        #expect {
            try strategy.signals(on: bars, parameters: ["n": -1])
        } throws: { error in
            let error = error as? ExpressionError
            return error?.code == .lookAhead && error?.column == 14
        }
    }

    @Test func identicalSubexpressionsAreCompiledOnce() throws {
        let strategy = try Strategy.compile(
            entry: "crossover(sma(close, fast), sma(close, slow))", exit: "sma(close, fast) < sma(close, slow)",
            shortEntry: "crossover(sma(close, slow), sma(close, fast))", parameters: ["fast": 2, "slow": 3])
        let calls = strategy.program.instructions.filter { $0.operation == .call("sma") }
        #expect(calls.count == 2)
        #expect(strategy.parameterNames == ["fast", "slow"])
    }

    @Test func constantsAreFolded() throws {
        var compiler = Compiler(parameterNames: [])
        try compiler.addValue("-(2 * 3) + 1")
        let program = compiler.program
        #expect(program.instructions[program.roots[0]].operation == .constant(-5))
    }
}
