extension IndicatorRegistry {
    /// Parses a function name and numeric parameters (the RPC form of `IndicatorSpec`), exactly as the text
    /// form `function:p1,p2,...` that `spec(_:)` reads: whole numbers are written without a fraction (`rsi:14`,
    /// column `rsi_14`), others as the shortest decimal that reads back the same (`t3:8,0.4`).
    /// - Throws: `IndicatorError` naming the valid functions or the parameter's valid range.
    public func spec(function: String, parameters: [Double]) throws(IndicatorError) -> IndicatorSpec {
        try spec(Self.text(function: function, parameters: parameters))
    }

    /// The text form `function:p1,p2,...` of a function and its parameters (`function` alone without any).
    public static func text(function: String, parameters: [Double]) -> String {
        guard !parameters.isEmpty else { return function }
        let written = parameters.map { value in
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
        }
        return function + ":" + written.joined(separator: ",")
    }
}
