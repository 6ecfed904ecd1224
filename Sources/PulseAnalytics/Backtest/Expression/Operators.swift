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
        switch op {
        case .less: return .condition(mask(a, b, count) { $0 < $1 })
        case .lessEqual: return .condition(mask(a, b, count) { $0 <= $1 })
        case .greater: return .condition(mask(a, b, count) { $0 > $1 })
        case .greaterEqual: return .condition(mask(a, b, count) { $0 >= $1 })
        case .equal: return .condition(mask(a, b, count) { $0 == $1 })
        default: return .condition(mask(a, b, count) { $0 != $1 && !$0.isNaN && !$1.isNaN })
        }
    }

    /// One comparison loop per operator (the closure is a literal, so it is inlined), numbers broadcast.
    @inline(__always)
    private static func mask(
        _ a: RuntimeValue, _ b: RuntimeValue, _ count: Int, _ test: (Double, Double) -> Bool
    ) -> [Bool] {
        switch (a, b) {
        case (.number(let x), .number(let y)): return [Bool](repeating: test(x, y), count: count)
        case (.series(let xs), .number(let y)): return fill(xs.count) { test(xs[$0], y) }
        case (.number(let x), .series(let ys)): return fill(ys.count) { test(x, ys[$0]) }
        case (.series(let xs), .series(let ys)): return fill(Swift.min(xs.count, ys.count)) { test(xs[$0], ys[$0]) }
        default: preconditionFailure("the compiler rejects comparisons of conditions")
        }
    }

    @inline(__always)
    private static func fill(_ count: Int, _ body: (Int) -> Bool) -> [Bool] {
        [Bool](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = body(i) }
            initialized = count
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
