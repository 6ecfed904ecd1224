/// A short name for a registry indicator: the language-level parameters, how they become TA-Lib's, and which
/// output is returned.
struct IndicatorAlias: Sendable {
    let name: String
    /// The registry (TA-Lib) function name.
    let function: String
    let parameters: [ExpressionFunction.Parameter]
    let output: Int
    let summary: String
    /// Language arguments (after the series `x`, if any) → TA-Lib's parameter values.
    let arguments: @Sendable ([Double]) -> [Double]

    /// Whether the first argument is the input series (close-only TA-Lib functions).
    var takesSeries: Bool { parameters.first?.kind == .series }

    func function(calling definition: IndicatorDefinition) -> ExpressionFunction {
        let alias = self
        return ExpressionFunction(name, parameters, result: .series, indicator: true, summary: summary) { context in
            let first = alias.takesSeries ? 1 : 0
            for (index, parameter) in alias.parameters.enumerated() {
                if case .period(let minimum) = parameter.kind { _ = try context.period(index, minimum: minimum) }
            }
            let values = (first..<context.arguments.count).map { context.number($0) }
            return .series(
                try FunctionCatalog.compute(
                    definition, output: alias.output, alias.arguments(values), context, series: alias.takesSeries))
        }
    }

    private static let x = ExpressionFunction.Parameter("x", .series)
    private static let n = ExpressionFunction.Parameter("n", .period(minimum: 1))

    /// `name(x, n)` over a close-only moving average or oscillator.
    private static func averaging(
        _ name: String, _ summary: String, minimum: Int = 1, function: String? = nil
    ) -> IndicatorAlias {
        IndicatorAlias(
            name: name, function: function ?? name.uppercased(),
            parameters: [x, .init("n", .period(minimum: minimum))],
            output: 0, summary: summary, arguments: { $0 })
    }

    static let table: [IndicatorAlias] = [
        // `sma` itself is pandas' rolling mean, as backtesting.py's (`FunctionCatalog.pandas`).
        averaging(
            "ta_sma", "simple moving average of x over n bars, TA-Lib's running sum (TA-Lib SMA)", function: "SMA"),
        averaging("ema", "exponential moving average of x over n bars, seeded with the SMA (TA-Lib EMA)"),
        averaging("wma", "linearly weighted moving average (TA-Lib WMA)", minimum: 2),
        averaging("dema", "double exponential moving average (TA-Lib DEMA)", minimum: 2),
        averaging("tema", "triple exponential moving average (TA-Lib TEMA)", minimum: 2),
        averaging("trima", "triangular moving average (TA-Lib TRIMA)", minimum: 2),
        averaging("kama", "Kaufman adaptive moving average (TA-Lib KAMA)", minimum: 2),
        averaging("rsi", "relative strength index, 0–100, Wilder smoothing (TA-Lib RSI)", minimum: 2),
        averaging("cmo", "Chande momentum oscillator (TA-Lib CMO)", minimum: 2),
        averaging("mom", "momentum: x − x n bars ago (TA-Lib MOM)"),
        averaging("roc", "rate of change in percent (TA-Lib ROC)"),
        IndicatorAlias(
            name: "stddev", function: "STDDEV", parameters: [x, .init("n", .period(minimum: 2))], output: 0,
            summary: "population standard deviation of x over n bars (TA-Lib STDDEV, nbdev 1)",
            arguments: { [$0[0], 1] }),
        bands("bbands_upper", 0, "upper Bollinger band: SMA(x, n) + k standard deviations"),
        bands("bbands_middle", 1, "middle Bollinger band: SMA(x, n)"),
        bands("bbands_lower", 2, "lower Bollinger band: SMA(x, n) − k standard deviations"),
        macd("macd", 0, "MACD line: EMA(x, fast) − EMA(x, slow)"),
        macd("macd_signal", 1, "MACD signal line: EMA of the MACD line over `signal` bars"),
        macd("macd_hist", 2, "MACD histogram: MACD line − signal line"),
        stochastic("stoch_k", 0, "slow stochastic %K over high/low/close (SMA smoothing)"),
        stochastic("stoch_d", 1, "slow stochastic %D over high/low/close (SMA smoothing)"),
        IndicatorAlias(
            name: "aroon_up", function: "AROON", parameters: [n], output: 1,
            summary: "Aroon up over n bars (reads high, low)", arguments: { $0 }),
        IndicatorAlias(
            name: "aroon_down", function: "AROON", parameters: [n], output: 0,
            summary: "Aroon down over n bars (reads high, low)", arguments: { $0 }),
    ]

    private static func bands(_ name: String, _ output: Int, _ summary: String) -> IndicatorAlias {
        IndicatorAlias(
            name: name, function: "BBANDS",
            parameters: [x, .init("n", .period(minimum: 2)), .init("k", .number, default: 2)], output: output,
            summary: summary + " (TA-Lib BBANDS, SMA)", arguments: { [$0[0], $0[1], $0[1], 0] })
    }

    private static func macd(_ name: String, _ output: Int, _ summary: String) -> IndicatorAlias {
        IndicatorAlias(
            name: name, function: "MACD",
            parameters: [
                x, .init("fast", .period(minimum: 2), default: 12), .init("slow", .period(minimum: 2), default: 26),
                .init("signal", .period(minimum: 1), default: 9),
            ], output: output, summary: summary + " (TA-Lib MACD)", arguments: { $0 })
    }

    private static func stochastic(_ name: String, _ output: Int, _ summary: String) -> IndicatorAlias {
        IndicatorAlias(
            name: name, function: "STOCH",
            parameters: [
                .init("k", .period(minimum: 1), default: 5), .init("slowk", .period(minimum: 1), default: 3),
                .init("slowd", .period(minimum: 1), default: 3),
            ], output: output, summary: summary + " (TA-Lib STOCH)", arguments: { [$0[0], $0[1], 0, $0[2], 0] })
    }
}
