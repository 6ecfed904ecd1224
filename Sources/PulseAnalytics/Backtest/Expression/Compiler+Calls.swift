extension Compiler {
    mutating func lowerBinary(
        _ op: SyntaxNode.BinaryOperator, _ lhsNode: SyntaxNode, _ rhsNode: SyntaxNode, column: Int,
        timeframe: Timeframe?
    ) throws(ExpressionError) -> Int {
        let lhs = try lower(lhsNode, timeframe: timeframe)
        let rhs = try lower(rhsNode, timeframe: timeframe)
        let types = (instructions[lhs].type, instructions[rhs].type)
        if op.isLogical {
            for (side, node, type) in [("left", lhsNode, types.0), ("right", rhsNode, types.1)] where type != .condition
            {
                throw error(
                    .type, "'\(op.rawValue)' needs conditions but its \(side) side is \(type)", at: node.start)
            }
        } else {
            for (side, node, type) in [("left", lhsNode, types.0), ("right", rhsNode, types.1)] where type == .condition
            {
                throw error(
                    .type, "'\(op.rawValue)' needs numbers or series but its \(side) side is a condition",
                    at: node.start)
            }
        }
        if op.isLogical || op.isComparison {
            let (operands, frame) = unify([lhs, rhs], column: column)
            let operation: Instruction.Operation = op.isLogical ? .logical(op) : .comparison(op)
            return emit(
                Instruction(operation: operation, operands: operands, type: .condition, timeframe: frame),
                column: column)
        }
        if case .constant(let a) = instructions[lhs].operation, case .constant(let b) = instructions[rhs].operation {
            let folded = Arithmetic.apply(op, a, b)
            return emit(Instruction(operation: .constant(folded), operands: [], type: .number), column: column)
        }
        let type: ValueType = types == (.number, .number) ? .number : .series
        let (operands, frame) = unify([lhs, rhs], column: column)
        return emit(
            Instruction(operation: .arithmetic(op), operands: operands, type: type, timeframe: frame), column: column)
    }

    mutating func lowerCall(
        _ name: String, _ argumentNodes: [SyntaxNode], column: Int, timeframe: Timeframe?
    ) throws(ExpressionError) -> Int {
        guard let function = FunctionCatalog.function(named: name) else {
            throw error(
                .unknownFunction,
                "unknown function '\(name)'\(NameSuggestion.hint(for: name, among: FunctionCatalog.names))"
                    + "; valid functions: \(FunctionCatalog.names.joined(separator: ", "))",
                at: column)
        }
        let (required, count) = (function.requiredCount, function.parameters.count)
        guard (required...count).contains(argumentNodes.count) else {
            let expected = required == count ? "\(count)" : "\(required) to \(count)"
            throw error(
                .arity,
                "\(name) takes \(expected) argument\(count == 1 ? "" : "s") (\(function.signature))"
                    + " but was given \(argumentNodes.count)",
                at: column)
        }
        var operands: [Int] = []
        for (parameter, node) in zip(function.parameters, argumentNodes) {
            let operand = try lower(node, timeframe: timeframe)
            try check(operand, node: node, against: parameter, of: function)
            operands.append(operand)
        }
        for parameter in function.parameters.dropFirst(argumentNodes.count) {
            let value = parameter.defaultValue ?? .nan
            operands.append(
                emit(Instruction(operation: .constant(value), operands: [], type: .number), column: column))
        }
        let seriesOperands = operands.filter { instructions[$0].type != .number }
        var frame = timeframe
        if !seriesOperands.isEmpty {
            let unified = unify(operands, column: column)
            (operands, frame) = (unified.operands, unified.timeframe)
        }
        let type = function.result ?? instructions[operands[0]].type
        return emit(
            Instruction(operation: .call(name), operands: operands, type: type, timeframe: frame), column: column,
            operandColumns: argumentNodes.map(\.start)
                + Array(repeating: column, count: function.parameters.count - argumentNodes.count))
    }

    private func check(
        _ operand: Int, node: SyntaxNode, against parameter: ExpressionFunction.Parameter,
        of function: ExpressionFunction
    ) throws(ExpressionError) {
        let type = instructions[operand].type
        let what = "\(function.name): \(parameter.name)"
        switch parameter.kind {
        case .series where type == .condition:
            throw error(.type, "\(what) must be a series or a number, not a condition", at: node.start)
        case .condition where type != .condition:
            throw error(.type, "\(what) must be a condition, not \(type)", at: node.start)
        case .seriesOrCondition where type == .number:
            throw error(.type, "\(what) must be a series or a condition, not a number", at: node.start)
        case .number where type != .number, .period where type != .number:
            throw error(
                .type,
                "\(what) must be a number or a parameter (fixed for the whole series), not \(type)",
                at: node.start)
        case .period(let minimum):
            guard case .constant(let value) = instructions[operand].operation else { return }
            if function.name == "shift" && value < 0 {
                throw error(
                    .lookAhead, "shift cannot look into the future: n must be at least 1, got \(Token.format(value))",
                    at: node.start)
            }
            guard value == value.rounded(), value >= Double(minimum), value <= 1_000_000 else {
                throw error(
                    .parameter, "\(what) must be a whole number from \(minimum) to 1000000, got \(Token.format(value))",
                    at: node.start)
            }
        default:
            return
        }
    }
}

/// The arithmetic operators on plain numbers (IEEE: x/0 is ±inf, 0/0 is NaN).
enum Arithmetic {
    static func apply(_ op: SyntaxNode.BinaryOperator, _ a: Double, _ b: Double) -> Double {
        switch op {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        default: preconditionFailure("not an arithmetic operator: \(op)")
        }
    }
}
