/// One requested indicator, parsed from `name:p1,p2,...` (for example `rsi:14`, `bbands:20,2,2`): the function,
/// its validated arguments and the output column names.
public struct IndicatorSpec: Sendable, Hashable, CustomStringConvertible {
    /// The request as typed, trimmed (`bbands:20,2,2`).
    public let text: String
    public let definition: IndicatorDefinition
    public let arguments: IndicatorArguments
    /// One column name per output: the function in lower case and the parameters as typed joined by `_`, plus
    /// `_` and TA-Lib's output name when there are several outputs (`bbands_20_2_2_upperband`).
    public let columnNames: [String]

    init(text: String, definition: IndicatorDefinition, arguments: IndicatorArguments, typed: [Substring]) {
        self.text = text
        self.definition = definition
        self.arguments = arguments
        let base = ([definition.name.lowercased()] + typed.map { String($0.trimmingSpaces()) }).joined(separator: "_")
        columnNames =
            definition.outputs.count == 1 ? [base] : definition.outputs.map { base + "_" + $0 }
    }

    public var description: String { text }

    /// The number of leading bars without output.
    public var lookback: Int { definition.lookback(arguments) }

    public static func == (a: IndicatorSpec, b: IndicatorSpec) -> Bool {
        a.definition.name == b.definition.name && a.arguments == b.arguments && a.columnNames == b.columnNames
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(definition.name)
        hasher.combine(arguments)
    }

    /// Computes the outputs over `bars`, aligned with them (NaN in the lookback).
    public func compute(_ bars: BarSeries) throws(IndicatorError) -> [[Double]] {
        try definition.compute(bars, arguments)
    }
}
