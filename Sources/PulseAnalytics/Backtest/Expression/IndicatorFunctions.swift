/// Indicators callable from expressions, each mapped to its batch function in `TA`.
extension FunctionCatalog {
    static let indicators: [ExpressionFunction] = [
        closeOnly("sma", "simple moving average of x over n bars") { x, n in Placeholder.sma(x, n) },
        closeOnly("ema", "exponential moving average of x over n bars") { x, n in Placeholder.ema(x, n) },
    ]

    /// An indicator of one input series and one period.
    private static func closeOnly(
        _ name: String, _ summary: String, minimum: Int = 1,
        _ body: @escaping @Sendable ([Double], Int) throws -> [Double]
    ) -> ExpressionFunction {
        ExpressionFunction(
            name, [.init("x", .series), .init("n", .period(minimum: minimum))], result: .series, indicator: true,
            summary: summary
        ) { context in
            let period = try context.period(1, minimum: minimum)
            return .series(try context.rethrow { try body(context.series(0), period) })
        }
    }
}

// TEMPORARY until the TA batch functions land on main: replaced by calls to TA.sma/TA.ema.
enum Placeholder {
    static func sma(_ x: [Double], _ n: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: x.count)
        guard n <= x.count else { return out }
        for i in (n - 1)..<x.count { out[i] = x[(i - n + 1)...i].reduce(0, +) / Double(n) }
        return out
    }
    static func ema(_ x: [Double], _ n: Int) -> [Double] {
        var out = sma(x, n)
        let k = 2.0 / Double(n + 1)
        guard n < x.count else { return out }
        for i in n..<x.count { out[i] = out[i - 1] + k * (x[i] - out[i - 1]) }
        return out
    }
}
