/// Indicators callable from expressions. Apart from `sma` (pandas' rolling mean, as backtesting.py's: see
/// `FunctionCatalog.pandas`), all are computed by the indicator library's registry (`IndicatorRegistry.standard`),
/// so they are TA-Lib-exact and there is one implementation of each.
///
/// Two layers:
/// - friendly names with short signatures (`sma(x, n)`, `bbands_upper(x, n, k)`, `macd_signal(x, f, s, sig)`,
///   `stoch_k(k, slowk, slowd)`), listed in `IndicatorAlias.table`;
/// - every registry function under its lower-case TA-Lib name with TA-Lib's parameters and defaults
///   (`atr(timeperiod=14)`, `stochrsi_fastk(x, ...)`): close-only functions take the series as a first
///   argument `x`; the others read the bars' own columns; functions with several outputs get one name per
///   output, `<function>_<output>`. A name the language already uses is not rebound: the registry's SMA is
///   `ta_sma`, as `sma` is pandas' mean.
///
/// An alias whose function the registry lacks is left out, so the language never offers a function it cannot run.
extension FunctionCatalog {
    static let indicators: [ExpressionFunction] = {
        let registry = IndicatorRegistry.standard
        var functions =
            pandas
            + IndicatorAlias.table.compactMap { alias in
                registry.definition(named: alias.function).map { alias.function(calling: $0) }
            }
        var taken = Set(functions.map(\.name)).union(core.map(\.name))
        for definition in registry.definitions {
            for (output, outputName) in definition.outputs.enumerated() {
                let base = definition.name.lowercased()
                let name = definition.outputs.count == 1 ? base : "\(base)_\(outputName.lowercased())"
                guard !taken.contains(name) else { continue }
                taken.insert(name)
                functions.append(generic(definition, output: output, name: name))
            }
        }
        return functions
    }()

    /// A registry function with TA-Lib's own parameters.
    private static func generic(_ definition: IndicatorDefinition, output: Int, name: String) -> ExpressionFunction {
        let takesSeries = definition.inputs == [.close]
        var parameters: [ExpressionFunction.Parameter] = takesSeries ? [.init("x", .series)] : []
        for parameter in definition.parameters {
            let kind: ExpressionFunction.ParameterKind
            if case .integer(let range) = parameter.kind {
                kind = .period(minimum: range.lowerBound)
            } else {
                kind = .number
            }
            parameters.append(.init(parameter.name, kind, default: parameter.defaultValue))
        }
        let reads = definition.inputs.map(\.rawValue).joined(separator: ", ")
        let summary =
            definition.summary + (definition.outputs.count > 1 ? " — \(definition.outputs[output])" : "")
            + (takesSeries ? "" : " (reads \(reads))")
        return ExpressionFunction(name, parameters, result: .series, indicator: true, summary: summary) { context in
            let values = (takesSeries ? 1 : 0)..<context.arguments.count
            return .series(
                try compute(definition, output: output, values.map { context.number($0) }, context, series: takesSeries)
            )
        }
    }

    /// Runs a registry function. Arguments go through the registry's own validation (typed as text, exactly
    /// as `--indicator` would), so ranges and messages are the indicator library's.
    static func compute(
        _ definition: IndicatorDefinition, output: Int, _ arguments: [Double], _ context: CallContext, series: Bool
    ) throws(ExpressionError) -> [Double] {
        let bars = context.bars
        let lacking = [
            definition.inputs.contains(.volume) && bars.volume == nil ? "a volume column" : nil,
            definition.inputs.contains(.timestamp) && bars.timestamps == nil ? "bar times" : nil,
        ].compactMap { $0 }
        if let missing = lacking.first {
            throw ExpressionError(
                .data, "\(context.function) needs \(missing), which the bars do not have", column: context.callColumn,
                source: context.source)
        }
        let input =
            series
            ? {
                let x = context.series(0)
                return BarSeries(
                    labels: bars.labels, timestamps: bars.timestamps, open: x, high: x, low: x, close: x,
                    volume: bars.volume)
            }() : bars
        do {
            let typed = arguments.map { Substring(Token.format($0)) }
            return try definition.compute(input, try definition.arguments(typed))[output]
        } catch {
            throw ExpressionError(.parameter, error.message, column: context.callColumn, source: context.source)
        }
    }
}
