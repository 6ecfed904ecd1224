/// A function callable from a strategy expression: its signature (checked at compile time), a one-line
/// summary for listings, and its whole-series implementation.
public struct ExpressionFunction: Sendable {
    /// What an argument must be.
    public enum ParameterKind: Sendable, Hashable {
        /// A series; a number is broadcast to every bar.
        case series
        /// A whole number of bars, at least `minimum`: a literal, a parameter or arithmetic on those — never a
        /// series, so a lookback cannot vary from bar to bar.
        case period(minimum: Int)
        /// A number (literal, parameter or arithmetic on those).
        case number
        /// A condition.
        case condition
        /// A series or a condition; the call's result has the same type (`shift`, `prev`).
        case seriesOrCondition
    }

    /// One parameter of a function's signature.
    public struct Parameter: Sendable {
        /// The name shown in signatures and messages (`n`, `timeperiod`).
        /// The name the language calls it by (`sma`, `bbands_upper`).
        public let name: String
        /// What the argument must be.
        public let kind: ParameterKind
        /// The value used when a trailing argument is omitted; nil when the argument is required.
        public let defaultValue: Double?

        init(_ name: String, _ kind: ParameterKind, default defaultValue: Double? = nil) {
            self.name = name
            self.kind = kind
            self.defaultValue = defaultValue
        }

        var spelling: String { defaultValue.map { "\(name)=\(Token.format($0))" } ?? name }
    }

    public let name: String
    /// The parameters, in call order; trailing ones may have defaults.
    public let parameters: [Parameter]
    /// The result type; `nil` when it follows the first argument (`shift(x, n)` has x's type).
    public let result: ValueType?
    /// A one-line description for listings.
    public let summary: String
    /// Whether the result is an indicator: cached across evaluations and counted in the warm-up.
    let isIndicator: Bool
    let implementation: @Sendable (CallContext) throws -> RuntimeValue

    init(
        _ name: String, _ parameters: [Parameter], result: ValueType?, indicator: Bool = false, summary: String,
        implementation: @escaping @Sendable (CallContext) throws -> RuntimeValue
    ) {
        self.name = name
        self.parameters = parameters
        self.result = result
        self.isIndicator = indicator
        self.summary = summary
        self.implementation = implementation
    }

    /// `name(p1, p2=default)`, as listings and arity errors show it.
    public var signature: String { "\(name)(\(parameters.map(\.spelling).joined(separator: ", ")))" }

    /// How many leading arguments must be given (the rest have defaults).
    public var requiredCount: Int { parameters.prefix { $0.defaultValue == nil }.count }
}

/// What a function implementation receives: its evaluated arguments and the bars of the timeframe it runs on.
struct CallContext {
    let function: String
    let parameterNames: [String]
    let arguments: [RuntimeValue]
    /// Columns of the arguments in `source`, so a bad runtime value (a period of 0) can be pointed at.
    let argumentColumns: [Int]
    /// Column of the function name.
    let callColumn: Int
    let source: String
    let bars: BarSeries

    var count: Int { bars.count }

    func series(_ index: Int) -> [Double] { arguments[index].series(count: count) }
    func condition(_ index: Int) -> [Bool] { arguments[index].condition }
    func number(_ index: Int) -> Double { arguments[index].number }

    /// The argument as a whole number of bars ≥ `minimum`; parameters are only known at evaluation time,
    /// so this is checked here rather than by the compiler.
    func period(_ index: Int, minimum: Int = 1) throws(ExpressionError) -> Int {
        let value = arguments[index].number
        guard value.isFinite, value == value.rounded(), value >= Double(minimum), value <= 1_000_000 else {
            let shown = Token.format(value)
            let code: ExpressionError.Code = value < 0 && function == "shift" ? .lookAhead : .parameter
            throw error(
                "\(function): \(parameterNames[index]) must be a whole number from \(minimum) to 1000000, got \(shown)",
                argument: index, code: code)
        }
        return Int(value)
    }

    func error(_ message: String, argument: Int, code: ExpressionError.Code = .parameter) -> ExpressionError {
        ExpressionError(code, message, column: argumentColumns[argument], source: source)
    }

    /// Turns an indicator library's parameter rejection into an expression error at the call.
    func rethrow<T>(_ body: () throws -> T) throws(ExpressionError) -> T {
        do {
            return try body()
        } catch {
            throw ExpressionError(
                .parameter, "\(function): \(error)", column: callColumn, source: source)
        }
    }
}
