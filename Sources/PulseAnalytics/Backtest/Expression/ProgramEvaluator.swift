/// Runs a compiled `Program` over one bar series, a whole series per step (no per-bar interpretation).
/// Parameters are substituted at each evaluation without reparsing; indicator results are cached across
/// evaluations (see `EvaluationCache`), so evaluating a grid of parameter sets costs little more than the
/// distinct indicators it needs.
struct ProgramEvaluator: Sendable {
    let program: Program
    let base: BarSeries
    let cache: EvaluationCache
    /// For each step, the earlier steps whose values nobody needs after it: dropped as evaluation goes, so
    /// memory holds the live intermediate series rather than all of them.
    private let releases: [[Int]]

    init(program: Program, base: BarSeries, cache: EvaluationCache) {
        self.program = program
        self.base = base
        self.cache = cache
        var lastUse = Array(program.instructions.indices)
        for (index, instruction) in program.instructions.enumerated() {
            for operand in instruction.operands { lastUse[operand] = index }
        }
        var releases = [[Int]](repeating: [], count: program.instructions.count)
        let roots = Set(program.roots)
        for (step, last) in lastUse.enumerated()
        where !roots.contains(step) && program.instructions[step].type != .number {
            releases[last].append(step)
        }
        self.releases = releases
    }

    /// The value of each root, as a condition over the base bars, and the warm-up: the first index at which
    /// every indicator on the base bars is defined (backtesting.py's `_indicator_warmup_nbars`; 0 when no
    /// indicator is used; an indicator that is never defined counts as 0, as there).
    func evaluate(parameters: [String: Double]) throws(ExpressionError) -> (roots: [[Bool]], warmup: Int) {
        let (values, warmup) = try evaluateValues(parameters: parameters)
        return (values.map(\.condition), warmup)
    }

    /// The value of each root as computed (numbers stay numbers), and the warm-up.
    func evaluateValues(parameters: [String: Double]) throws(ExpressionError) -> (roots: [RuntimeValue], warmup: Int) {
        let instructions = program.instructions
        var values: [RuntimeValue] = []
        var identities: [Int] = []
        values.reserveCapacity(instructions.count)
        identities.reserveCapacity(instructions.count)
        var warmup = 0
        for (index, instruction) in instructions.enumerated() {
            let identity = stepIdentity(
                instruction, operands: instruction.operands, values: values, identities: identities)
            identities.append(identity)
            let value: RuntimeValue
            if isCached(instruction), let cached = cache.value(for: identity) {
                value = cached
            } else {
                value = try compute(index, instruction, values: values, parameters: parameters)
                if isCached(instruction) { cache.store(value, for: identity) }
            }
            if instruction.timeframe == nil, isIndicator(instruction), case .series(let series) = value {
                warmup = max(warmup, series.firstIndex { !$0.isNaN } ?? 0)
            }
            values.append(value)
            for step in releases[index] { values[step] = .number(.nan) }
        }
        return (program.roots.map { values[$0] }, warmup)
    }

    private func isCached(_ instruction: Instruction) -> Bool {
        switch instruction.operation {
        case .toBase: return true
        case .call(let name): return FunctionCatalog.function(named: name)?.isIndicator ?? false
        default: return false
        }
    }

    private func isIndicator(_ instruction: Instruction) -> Bool {
        instruction.operation == .toBase || (isCached(instruction) && instruction.type == .series)
    }

    private func stepIdentity(
        _ instruction: Instruction, operands: [Int], values: [RuntimeValue], identities: [Int]
    ) -> Int {
        guard instruction.type != .number else { return -1 }
        let keyed = operands.map { operand -> EvaluationCache.StepKey.Operand in
            if case .number(let value) = values[operand] { return .number(value.bitPattern) }
            return .step(identities[operand])
        }
        return cache.identity(
            of: .init(operation: instruction.operation, operands: keyed, timeframe: instruction.timeframe))
    }

    private func bars(_ timeframe: Timeframe?) throws(ExpressionError) -> TimeframeBars {
        guard let timeframe else { return TimeframeBars(bars: base, baseToFrame: []) }
        return try cache.frame(timeframe) { () throws(ExpressionError) in
            try HigherTimeframe.resample(base, to: timeframe)
        }
    }

    private func compute(
        _ index: Int, _ instruction: Instruction, values: [RuntimeValue], parameters: [String: Double]
    ) throws(ExpressionError) -> RuntimeValue {
        let operands = instruction.operands.map { values[$0] }
        let site = program.sites[index]
        let source = program.sources[site.expression]
        switch instruction.operation {
        case .constant(let value): return .number(value)
        case .truth(let flag): return .condition([Bool](repeating: flag, count: try bars(instruction.timeframe).count))
        case .parameter(let name):
            guard let value = parameters[name] else {
                throw ExpressionError(
                    .unknownIdentifier, "no value for parameter '\(name)'", column: site.column, source: source)
            }
            return .number(value)
        case .column(let column):
            do {
                return .series(try column.values(of: try bars(instruction.timeframe).bars))
            } catch {
                throw error.attached(to: source).at(site.column)
            }
        case .negate: return Operators.negate(operands[0])
        case .not: return .condition(operands[0].condition.map { !$0 })
        case .arithmetic(let op): return Operators.arithmetic(op, operands[0], operands[1])
        case .comparison(let op):
            return Operators.compare(op, operands[0], operands[1], count: try bars(instruction.timeframe).count)
        case .logical(let op): return .condition(Operators.logical(op, operands[0].condition, operands[1].condition))
        case .call(let name):
            let function = FunctionCatalog.function(named: name)!
            let context = CallContext(
                function: name, parameterNames: function.parameters.map(\.name), arguments: operands,
                argumentColumns: site.operandColumns, callColumn: site.column, source: source,
                bars: try bars(instruction.timeframe).bars)
            do {
                return try function.implementation(context)
            } catch let error as ExpressionError {
                throw error
            } catch {
                throw ExpressionError(.parameter, "\(name): \(error)", column: site.column, source: source)
            }
        case .toBase:
            let frame = try bars(program.instructions[instruction.operands[0]].timeframe)
            return frame.carryToBase(operands[0])
        }
    }
}

extension ExpressionError {
    fileprivate func at(_ column: Int) -> ExpressionError {
        var copy = self
        if copy.column == nil { copy.column = column }
        return copy
    }
}
