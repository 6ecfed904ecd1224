/// Resolves names, checks types and lowers parsed expressions into one shared `Program`.
///
/// Names: a bare identifier is a series (`close`, `hl2`, …) or, failing that, a parameter that was given a
/// value; `$name` is always a parameter. Literal periods are checked here; periods that come from parameters
/// are checked at evaluation, when their values are known.
struct Compiler {
    private(set) var instructions: [Instruction] = []
    private var sites: [SourceSite] = []
    private var known: [Instruction: Int] = [:]
    private var sources: [String] = []
    private var roots: [Int] = []
    private var usedParameters: Set<String> = []
    private let parameterNames: Set<String>

    init(parameterNames: Set<String>) { self.parameterNames = parameterNames }

    /// Compiles one expression that must be a condition; `role` names it in a type error ("entry").
    mutating func addCondition(_ source: String, role: String) throws(ExpressionError) {
        let (root, type, column) = try add(source)
        guard type == .condition else {
            throw ExpressionError(
                .type,
                "the \(role) must be a condition (true or false on each bar) but is \(type);"
                    + " compare it with something, e.g. '> 0'",
                column: column, source: source)
        }
        roots.append(root)
    }

    /// Compiles one expression that must be a price: a series or a number (an order's limit, stop, stop-loss or
    /// take-profit level).
    mutating func addPrice(_ source: String, role: String) throws(ExpressionError) {
        let (root, type, column) = try add(source)
        guard type != .condition else {
            throw ExpressionError(
                .type, "the \(role) must be a price (a series or a number) but is a condition",
                column: column, source: source)
        }
        roots.append(root)
    }

    /// Compiles one expression of any type (tests and tools that want a series' values).
    mutating func addValue(_ source: String) throws(ExpressionError) {
        roots.append(try add(source).root)
    }

    private mutating func add(_ source: String) throws(ExpressionError) -> (root: Int, type: ValueType, column: Int) {
        let tree = try Parser.parse(source)
        sources.append(source)
        let root = toBase(try lower(tree, timeframe: nil), column: tree.column)
        return (root, instructions[root].type, tree.start)
    }

    var program: Program {
        Program(instructions: instructions, sites: sites, sources: sources, roots: roots, parameters: usedParameters)
    }

    var source: String { sources[sources.count - 1] }

    func error(_ code: ExpressionError.Code, _ message: String, at column: Int) -> ExpressionError {
        ExpressionError(code, message, column: column, source: source)
    }

    mutating func emit(_ instruction: Instruction, column: Int, operandColumns: [Int] = []) -> Int {
        if let existing = known[instruction] { return existing }
        instructions.append(instruction)
        sites.append(SourceSite(expression: sources.count - 1, column: column, operandColumns: operandColumns))
        known[instruction] = instructions.count - 1
        return instructions.count - 1
    }

    mutating func toBase(_ operand: Int, column: Int) -> Int {
        guard instructions[operand].timeframe != nil else { return operand }
        return emit(
            Instruction(operation: .toBase, operands: [operand], type: instructions[operand].type, timeframe: nil),
            column: column)
    }

    /// Puts operands on one timeframe: theirs if they agree, else the base series (each mapped without
    /// look-ahead). Numbers have no timeframe and fit anywhere.
    mutating func unify(_ operands: [Int], column: Int) -> (operands: [Int], timeframe: Timeframe?) {
        let timeframes = Set(operands.filter { instructions[$0].type != .number }.map { instructions[$0].timeframe })
        if timeframes.count <= 1 { return (operands, timeframes.first ?? nil) }
        return (operands.map { toBase($0, column: column) }, nil)
    }

    mutating func lower(_ node: SyntaxNode, timeframe: Timeframe?) throws(ExpressionError) -> Int {
        switch node {
        case .number(let value, let column):
            return emit(Instruction(operation: .constant(value), operands: [], type: .number), column: column)
        case .boolean(let value, let column):
            return emit(Instruction(operation: .truth(value), operands: [], type: .condition), column: column)
        case .identifier(let name, let column):
            if let series = BarColumn(rawValue: name) {
                return emit(
                    Instruction(operation: .column(series), operands: [], type: .series, timeframe: timeframe),
                    column: column)
            }
            if parameterNames.contains(name) { return parameter(name, column: column) }
            throw unknownName(name, column: column)
        case .parameter(let name, let column):
            guard parameterNames.contains(name) else { throw unknownName(name, column: column) }
            return parameter(name, column: column)
        case .unary(let op, let operandNode, let column):
            return try lowerUnary(op, operandNode, column: column, timeframe: timeframe)
        case .binary(let op, let lhs, let rhs, let column):
            return try lowerBinary(op, lhs, rhs, column: column, timeframe: timeframe)
        case .call(let name, let arguments, let column):
            return try lowerCall(name, arguments, column: column, timeframe: timeframe)
        case .timeframe(let operand, let text, let column):
            if timeframe != nil {
                throw error(.timeframe, "a timeframe reference cannot be nested inside another one", at: column)
            }
            return try lower(operand, timeframe: try HigherTimeframe.parse(text, column: column, source: source))
        }
    }

    private mutating func parameter(_ name: String, column: Int) -> Int {
        usedParameters.insert(name)
        return emit(Instruction(operation: .parameter(name), operands: [], type: .number), column: column)
    }

    private func unknownName(_ name: String, column: Int) -> ExpressionError {
        let known = BarColumn.allCases.map(\.rawValue) + parameterNames.sorted()
        var message =
            "unknown name '\(name)'\(NameSuggestion.hint(for: name, among: known)); series are \(BarColumn.names)"
        message +=
            parameterNames.isEmpty
            ? " and no parameters were given (pass one with --param \(name)=VALUE)"
            : "; parameters given: \(parameterNames.sorted().joined(separator: ", "))"
        if let function = FunctionCatalog.function(named: name) {
            message += "; '\(name)' is also a function: call it as \(function.signature)"
        }
        return error(.unknownIdentifier, message, at: column)
    }

    private mutating func lowerUnary(
        _ op: SyntaxNode.UnaryOperator, _ node: SyntaxNode, column: Int, timeframe: Timeframe?
    ) throws(ExpressionError) -> Int {
        let operand = try lower(node, timeframe: timeframe)
        let type = instructions[operand].type
        switch op {
        case .negate:
            guard type != .condition else {
                throw error(.type, "'-' needs a number or a series but its operand is a condition", at: column)
            }
            if case .constant(let value) = instructions[operand].operation {
                return emit(Instruction(operation: .constant(-value), operands: [], type: .number), column: column)
            }
            return emit(
                Instruction(
                    operation: .negate, operands: [operand], type: type, timeframe: instructions[operand].timeframe),
                column: column)
        case .not:
            guard type == .condition else {
                throw error(.type, "'not' needs a condition but its operand is \(type)", at: node.start)
            }
            return emit(
                Instruction(
                    operation: .not, operands: [operand], type: .condition, timeframe: instructions[operand].timeframe),
                column: column)
        }
    }
}
