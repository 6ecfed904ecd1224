import PulseAnalytics
import PulseProtocol
import PulseRPC

/// `pulse.v1.Indicators`: TA-Lib-exact indicators over bars given inline or stored.
///
/// Compute checks the bars as the CLI checks a CSV file (`BarValidation`: a bar that cannot be used is
/// INVALID_ARGUMENT naming it; newest-first input is reversed), parses each `IndicatorSpec` with
/// `IndicatorRegistry.standard` exactly as `pulse indicators --indicator function:p1,p2` (unknown functions and
/// bad parameters are INVALID_ARGUMENT listing the valid choices) and answers the outputs in request order.
/// Batches over ``inlineLimit`` values (bars × output and input columns) are checked and computed on the compute
/// pool, smaller ones on the loop.
/// Subscribe is ``IndicatorStreamService`` (it needs the live ticks).
public struct IndicatorsService: RPCService {
    /// Values (bars × columns) handled on the event loop; larger batches go to the compute pool.
    public static let inlineLimit = 20_000

    public var serviceName: String { PulseMethods.Indicators.service }
    let stored: StoredBars

    /// - Parameter source: stored bars for requests that name a symbol; nil answers them UNAVAILABLE.
    public init(source: (any BarSource)? = nil) {
        stored = StoredBars(source: source)
    }

    public var methods: [RPCMethodDefinition] {
        let stored = self.stored
        return [
            .unary(PulseMethods.Indicators.compute) { request, context in
                try await Self.compute(request, stored: stored, context: context)
            }
        ]
    }

    static func compute(
        _ request: PulseV1.ComputeIndicatorsRequest, stored: StoredBars, context: ServerContext
    ) async throws -> PulseV1.ComputeIndicatorsResponse {
        let specs = try request.indicators.enumerated().map { k, spec throws(GRPCStatus) in
            try Self.spec(spec, index: k)
        }
        guard !specs.isEmpty else {
            throw GRPCStatus(
                .invalidArgument,
                "give at least one indicator, e.g. {function: \"rsi\", parameters: [14]}; valid functions: "
                    + IndicatorRegistry.standard.definitions.map { $0.name.lowercased() }.joined(separator: ", "))
        }
        let columns = specs.reduce(0) { $0 + $1.columnNames.count }
        if let series = request.bars, series.count > 0 {
            // Checking, computing and encoding are all O(bars): one hop to the pool for a large batch.
            let work: @Sendable () throws -> PulseV1.ComputeIndicatorsResponse = {
                try Self.response(request, specs: specs, bars: try WireBars.bars(series, field: "bars"))
            }
            return try series.count * (columns + 5) > inlineLimit ? await context.computePool.run(work) : work()
        }
        let bars = try await stored.bars(
            symbol: request.symbol, timeframe: request.timeframe, start: request.startTimeMs, end: request.endTimeMs,
            limit: request.limit)
        let work: @Sendable () throws -> PulseV1.ComputeIndicatorsResponse = {
            try Self.response(request, specs: specs, bars: bars)
        }
        return try bars.count * columns > inlineLimit ? await context.computePool.run(work) : work()
    }

    static func response(
        _ request: PulseV1.ComputeIndicatorsRequest, specs: [IndicatorSpec], bars: BarSeries
    ) throws(GRPCStatus) -> PulseV1.ComputeIndicatorsResponse {
        var response = PulseV1.ComputeIndicatorsResponse()
        response.indicators = try specs.enumerated().map { k, spec throws(GRPCStatus) in
            try Self.series(spec, wire: request.indicators[k], index: k, bars: bars)
        }
        response.symbol = request.symbol.isEmpty ? (request.bars?.symbol ?? "") : request.symbol
        response.timeframe = request.timeframe ?? request.bars?.timeframe
        response.timeMs = WireBars.timesMs(bars)
        if request.includeBars {
            response.bars = WireBars.series(bars, symbol: response.symbol, timeframe: response.timeframe)
        }
        return response
    }

    /// The library's spec for a wire spec, through the CLI's text form (`rsi:14`, `bbands:20,2,2`).
    static func spec(_ wire: PulseV1.IndicatorSpec, index: Int) throws(GRPCStatus) -> IndicatorSpec {
        if let bad = wire.parameters.first(where: { !$0.isFinite }) {
            throw GRPCStatus(.invalidArgument, "indicators[\(index)] \(wire.function): parameter \(bad) is not finite")
        }
        do {
            return try IndicatorRegistry.standard.spec(function: wire.function, parameters: wire.parameters)
        } catch {
            let text = IndicatorRegistry.text(function: wire.function, parameters: wire.parameters)
            throw GRPCStatus(.invalidArgument, "indicators[\(index)] \(text): \(error)")
        }
    }

    static func series(
        _ spec: IndicatorSpec, wire: PulseV1.IndicatorSpec, index: Int, bars: BarSeries
    ) throws(GRPCStatus) -> PulseV1.IndicatorSeries {
        let outputs: [[Double]]
        do { outputs = try spec.compute(bars) } catch {
            throw GRPCStatus(.invalidArgument, "indicators[\(index)] \(spec.text): \(error)")
        }
        return PulseV1.IndicatorSeries(
            spec: wire, lookback: UInt32(clamping: min(spec.lookback, bars.count)),
            outputs: zip(spec.columnNames, outputs).map { PulseV1.IndicatorOutput(name: $0, values: $1) })
    }
}
