#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Everything the registry knows about one indicator function: TA-Lib's name, inputs, parameters (with defaults
/// and ranges) and output names, its lookback, a batch entry point and a factory for its streaming state.
///
/// Adding a function is one entry in a family's `definitions` table, for example:
/// ```swift
/// IndicatorDefinition(
///     name: "SMA", summary: "Simple Moving Average", inputs: [.close],
///     parameters: [.period(default: 30, range: 1...100_000)], outputs: ["real"],
///     lookback: { $0.int(0) - 1 },
///     batch: { bars, a in [TA.sma(bars.close, period: a.int(0))] },
///     stream: { a in CloseIndicator(SMAState(period: a.int(0))) })
/// ```
public struct IndicatorDefinition: Sendable {
    /// TA-Lib's function name, upper case (`BBANDS`).
    public let name: String
    /// A one-line description.
    public let summary: String
    /// The price columns read, in TA-Lib's order.
    public let inputs: [PriceField]
    public let parameters: [IndicatorParameter]
    /// TA-Lib's output names (`talib.abstract.Function(name).info['output_names']`).
    public let outputs: [String]

    private let lookbackBody: @Sendable (IndicatorArguments) -> Int
    private let batchBody: @Sendable (BarSeries, IndicatorArguments) -> [[Double]]
    private let makeStateBody: @Sendable (IndicatorArguments) -> any StreamingIndicator
    private let restoreStateBody: @Sendable ([UInt8]) throws -> any StreamingIndicator

    /// - Parameters:
    ///   - lookback: the number of leading bars without output, for validated arguments.
    ///   - batch: computes every output over the bars (already checked to have the needed columns), each array
    ///     aligned with the bars with NaN in the lookback.
    ///   - stream: makes a fresh streaming state.
    public init<State: StreamingIndicator>(
        name: String, summary: String, inputs: [PriceField], parameters: [IndicatorParameter], outputs: [String],
        lookback: @escaping @Sendable (IndicatorArguments) -> Int,
        batch: @escaping @Sendable (BarSeries, IndicatorArguments) -> [[Double]],
        stream: @escaping @Sendable (IndicatorArguments) -> State
    ) {
        precondition((1...3).contains(outputs.count), "an indicator has one to three outputs")
        self.name = name.uppercased()
        self.summary = summary
        self.inputs = inputs
        self.parameters = parameters
        self.outputs = outputs
        self.lookbackBody = lookback
        self.batchBody = batch
        self.makeStateBody = { stream($0) }
        self.restoreStateBody = { bytes in
            try IndicatorCheckpoint.decoder().decode(IndicatorCheckpoint.Envelope<State>.self, from: Data(bytes)).state
        }
    }

    /// The number of leading bars without output.
    public func lookback(_ arguments: IndicatorArguments) -> Int { lookbackBody(arguments) }

    /// Computes the outputs over `bars`: one array per output, aligned with the bars, NaN in the lookback.
    /// - Throws: `IndicatorError` when the bars lack a column the function reads (volume, timestamps).
    public func compute(_ bars: BarSeries, _ arguments: IndicatorArguments) throws(IndicatorError) -> [[Double]] {
        if inputs.contains(.volume), bars.volume == nil {
            throw IndicatorError("\(name) reads volume, but the input has no volume column")
        }
        if inputs.contains(.timestamp), bars.timestamps == nil {
            throw IndicatorError("\(name) reads bar times, but the input has no parseable time column")
        }
        return batchBody(bars, arguments)
    }

    /// A fresh streaming state.
    public func makeState(_ arguments: IndicatorArguments) -> any StreamingIndicator { makeStateBody(arguments) }

    func restoreState(_ bytes: [UInt8]) throws -> any StreamingIndicator { try restoreStateBody(bytes) }

    /// Checks typed parameter values and fills omitted trailing ones with defaults.
    public func arguments(_ typed: [Substring]) throws(IndicatorError) -> IndicatorArguments {
        guard typed.count <= parameters.count else {
            throw IndicatorError(
                "\(name) takes at most \(parameters.count) parameter(s) (\(signature)); got \(typed.count)")
        }
        var values: [Double] = []
        values.reserveCapacity(parameters.count)
        for (index, parameter) in parameters.enumerated() {
            if index < typed.count {
                values.append(try parameter.parse(typed[index], function: name))
            } else {
                values.append(parameter.defaultValue)
            }
        }
        return IndicatorArguments(values)
    }

    /// `name:param=default,...`, for messages and listings.
    public var signature: String {
        let list = parameters.map { "\($0.name)=\($0.defaultDescription)" }.joined(separator: ",")
        return list.isEmpty ? name.lowercased() : "\(name.lowercased()):\(list)"
    }
}
