/// The static type of an expression, checked when a strategy is compiled.
public enum ValueType: Sendable, Hashable, CustomStringConvertible {
    /// One number for the whole series: a literal, a parameter, arithmetic on those.
    case number
    /// One number per bar (`close`, `sma(close, 10)`); NaN where undefined.
    case series
    /// One true/false per bar (`close > open`, `crossover(a, b)`): what entries and exits must be.
    case condition

    public var description: String {
        switch self {
        case .number: return "a number"
        case .series: return "a series"
        case .condition: return "a condition"
        }
    }
}

/// A value computed for a whole series at once.
enum RuntimeValue: Sendable {
    case number(Double)
    case series([Double])
    case condition([Bool])

    /// The value as one number per bar; numbers are broadcast.
    func series(count: Int) -> [Double] {
        switch self {
        case .number(let value): return [Double](repeating: value, count: count)
        case .series(let values): return values
        case .condition(let flags): return flags.map { $0 ? 1 : 0 }
        }
    }

    var condition: [Bool] {
        if case .condition(let flags) = self { return flags }
        preconditionFailure("the compiler guarantees a condition here")
    }

    var number: Double {
        if case .number(let value) = self { return value }
        preconditionFailure("the compiler guarantees a number here")
    }

    /// How many doubles' worth of memory the value holds, for the evaluation cache's budget.
    var footprint: Int {
        switch self {
        case .number: return 1
        case .series(let values): return values.count
        case .condition(let flags): return (flags.count + 7) / 8
        }
    }
}
