/// The language's own functions: crossings, shifts into the past, rolling extremes and elementwise helpers.
/// Indicators come from `TA` (see `IndicatorFunctions`).
extension FunctionCatalog {
    static let core: [ExpressionFunction] = [
        ExpressionFunction(
            "crossover", [.init("a", .series), .init("b", .series)], result: .condition,
            summary: "a crosses above b on this bar: a[-2] < b[-2] and a[-1] > b[-1] (strict, as backtesting.py)"
        ) { context in .condition(Crossing.over(context.series(0), context.series(1))) },
        ExpressionFunction(
            "crossunder", [.init("a", .series), .init("b", .series)], result: .condition,
            summary: "a crosses below b on this bar: a[-2] > b[-2] and a[-1] < b[-1] (strict)"
        ) { context in .condition(Crossing.over(context.series(1), context.series(0))) },
        ExpressionFunction(
            "shift", [.init("x", .seriesOrCondition), .init("n", .period(minimum: 1))], result: nil,
            summary: "x as it was n bars ago (n ≥ 1: the future cannot be read); NaN/false before the start"
        ) { context in Shift.apply(context.arguments[0], by: try context.period(1), count: context.count) },
        ExpressionFunction(
            "prev", [.init("x", .seriesOrCondition)], result: nil,
            summary: "x on the previous bar: shift(x, 1)"
        ) { context in Shift.apply(context.arguments[0], by: 1, count: context.count) },
        ExpressionFunction(
            "highest", [.init("x", .series), .init("n", .period(minimum: 1))], result: .series,
            summary: "largest x over the last n bars including this one; NaN until n bars (or with a NaN inside)"
        ) { context in .series(WindowExtremes.highest(context.series(0), period: try context.period(1))) },
        ExpressionFunction(
            "lowest", [.init("x", .series), .init("n", .period(minimum: 1))], result: .series,
            summary: "smallest x over the last n bars including this one; NaN until n bars (or with a NaN inside)"
        ) { context in .series(WindowExtremes.lowest(context.series(0), period: try context.period(1))) },
        ExpressionFunction("abs", [.init("x", .series)], result: .series, summary: "absolute value of x") {
            context in .series(context.series(0).map { abs($0) })
        },
        ExpressionFunction(
            "min", [.init("a", .series), .init("b", .series)], result: .series,
            summary: "the smaller of a and b on each bar; NaN if either is NaN"
        ) { context in .series(Elementwise.combine(context.series(0), context.series(1), Swift.min)) },
        ExpressionFunction(
            "max", [.init("a", .series), .init("b", .series)], result: .series,
            summary: "the larger of a and b on each bar; NaN if either is NaN"
        ) { context in .series(Elementwise.combine(context.series(0), context.series(1), Swift.max)) },
    ]
}

/// Strict crossings, vectorised: bar i crosses when the previous bar was strictly on one side and this bar is
/// strictly on the other. Any NaN among the four values means no crossing (NaN comparisons are false).
enum Crossing {
    static func over(_ a: [Double], _ b: [Double]) -> [Bool] {
        let count = min(a.count, b.count)
        guard count >= 2 else { return [Bool](repeating: false, count: count) }
        return [Bool](unsafeUninitializedCapacity: count) { result, initialized in
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    result[0] = false
                    var wasBelow = a[0] < b[0]
                    for i in 1..<count {
                        let (x, y) = (a[i], b[i])
                        result[i] = wasBelow && x > y
                        wasBelow = x < y
                    }
                }
            }
            initialized = count
        }
    }
}

/// Looking back n bars. There is deliberately no way to look forward.
enum Shift {
    static func apply(_ value: RuntimeValue, by n: Int, count: Int) -> RuntimeValue {
        precondition(n >= 1, "shifts into the future are rejected before evaluation")
        switch value {
        case .number: return value
        case .series(let values):
            var result = [Double](repeating: .nan, count: count)
            if n < count { result.replaceSubrange(n..<count, with: values[0..<(count - n)]) }
            return .series(result)
        case .condition(let flags):
            var result = [Bool](repeating: false, count: count)
            if n < count { result.replaceSubrange(n..<count, with: flags[0..<(count - n)]) }
            return .condition(result)
        }
    }
}

enum Elementwise {
    static func combine(_ a: [Double], _ b: [Double], _ pick: (Double, Double) -> Double) -> [Double] {
        var result = [Double](repeating: .nan, count: a.count)
        for i in 0..<a.count where !a[i].isNaN && !b[i].isNaN { result[i] = pick(a[i], b[i]) }
        return result
    }
}
