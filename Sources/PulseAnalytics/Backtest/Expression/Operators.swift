/// The operators on whole series: one tight loop per operation, numbers broadcast without materialising.
enum Operators {
    static func negate(_ value: RuntimeValue) -> RuntimeValue {
        switch value {
        case .number(let x): return .number(-x)
        case .series(let xs): return .series(xs.map { -$0 })
        case .condition: preconditionFailure("the compiler rejects '-' on conditions")
        }
    }

    static func arithmetic(_ op: SyntaxNode.BinaryOperator, _ a: RuntimeValue, _ b: RuntimeValue) -> RuntimeValue {
        switch (a, b) {
        case (.number(let x), .number(let y)): return .number(Arithmetic.apply(op, x, y))
        case (.series(let xs), .number(let y)): return .series(transform(xs) { Arithmetic.apply(op, $0, y) })
        case (.number(let x), .series(let ys)): return .series(transform(ys) { Arithmetic.apply(op, x, $0) })
        case (.series(let xs), .series(let ys)):
            switch op {
            case .add: return .series(combine(xs, ys) { $0 + $1 })
            case .subtract: return .series(combine(xs, ys) { $0 - $1 })
            case .multiply: return .series(combine(xs, ys) { $0 * $1 })
            default: return .series(combine(xs, ys) { $0 / $1 })
            }
        default: preconditionFailure("the compiler rejects arithmetic on conditions")
        }
    }

    /// Comparisons are false whenever either side is NaN, `!=` included (unlike IEEE): an undefined value
    /// (an indicator still warming up) never raises a signal.
    static func compare(
        _ op: SyntaxNode.BinaryOperator, _ a: RuntimeValue, _ b: RuntimeValue, count: Int
    ) -> RuntimeValue {
        let test: (Double, Double) -> Bool
        switch op {
        case .less: test = { $0 < $1 }
        case .lessEqual: test = { $0 <= $1 }
        case .greater: test = { $0 > $1 }
        case .greaterEqual: test = { $0 >= $1 }
        case .equal: test = { $0 == $1 }
        default: test = { $0 != $1 && !$0.isNaN && !$1.isNaN }
        }
        switch (a, b) {
        case (.number(let x), .number(let y)): return .condition([Bool](repeating: test(x, y), count: count))
        case (.series(let xs), .number(let y)): return .condition(xs.map { test($0, y) })
        case (.number(let x), .series(let ys)): return .condition(ys.map { test(x, $0) })
        case (.series(let xs), .series(let ys)): return .condition(Swift.zip(xs, ys).map { test($0, $1) })
        default: preconditionFailure("the compiler rejects comparisons of conditions")
        }
    }

    static func logical(_ op: SyntaxNode.BinaryOperator, _ a: [Bool], _ b: [Bool]) -> [Bool] {
        op == .and ? Swift.zip(a, b).map { $0 && $1 } : Swift.zip(a, b).map { $0 || $1 }
    }

    private static func transform(_ xs: [Double], _ body: (Double) -> Double) -> [Double] {
        [Double](unsafeUninitializedCapacity: xs.count) { buffer, initialized in
            xs.withUnsafeBufferPointer { xs in
                for i in 0..<xs.count { buffer[i] = body(xs[i]) }
            }
            initialized = xs.count
        }
    }

    private static func combine(_ xs: [Double], _ ys: [Double], _ body: (Double, Double) -> Double) -> [Double] {
        let count = Swift.min(xs.count, ys.count)
        return [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            xs.withUnsafeBufferPointer { xs in
                ys.withUnsafeBufferPointer { ys in
                    for i in 0..<count { buffer[i] = body(xs[i], ys[i]) }
                }
            }
            initialized = count
        }
    }
}
