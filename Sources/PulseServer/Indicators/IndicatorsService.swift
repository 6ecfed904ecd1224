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
    let cache: ComputeCache?

    /// - Parameter source: stored bars for requests that name a symbol; nil answers them UNAVAILABLE.
    public init(source: (any BarSource)? = nil) {
        stored = StoredBars(source: source)
        cache = nil
    }

    /// Stored bars and results cached in Redis (``ComputeCache``) from the server's data layer.
    public init(source: (any BarSource)?, data: ServerDataLayer) {
        stored = StoredBars(source: source)
        cache = data.database != nil && data.cache != nil ? ComputeCache(data: data) : nil
    }

    public var methods: [RPCMethodDefinition] {
        let stored = self.stored
        let cache = self.cache
        return [
            .unary(PulseMethods.Indicators.compute) { request, context in
                try await Self.compute(request, stored: stored, cache: cache, context: context)
            }
        ]
    }

    static func compute(
        _ request: PulseV1.ComputeIndicatorsRequest, stored: StoredBars, cache: ComputeCache? = nil,
        noteAsked: Bool = true, context: ServerContext
    ) async throws -> PulseV1.ComputeIndicatorsResponse {
        try RequestLimits.check(request)
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
        var cacheKey: String?
        if let cache, !request.symbol.isEmpty {
            cacheKey = try await cache.key(for: request, context: context)
            if let cacheKey,
                let hit = await cache.get(cacheKey, request: request, noteAsked: noteAsked, context: context)
            {
                return hit
            }
        }
        let response = try await computeStored(
            request, specs: specs, columns: columns, stored: stored, context: context)
        if let cache, let cacheKey { await cache.set(cacheKey, symbol: request.symbol, response, context: context) }
        return response
    }

    static func computeStored(
        _ request: PulseV1.ComputeIndicatorsRequest, specs: [IndicatorSpec], columns: Int, stored: StoredBars,
        context: ServerContext
    ) async throws -> PulseV1.ComputeIndicatorsResponse {
        // Pages of at most `pageSize` bars, as GetBars pages (the same token scheme, bound to this request).
        let largest = pageSize(outputs: columns, includeBars: request.includeBars)
        let size = request.pageSize == 0 ? largest : min(Int(request.pageSize), largest)
        let binding = PageToken.binding(of: request)
        let cursor = try request.pageToken.isEmpty ? nil : PageToken(decoding: request.pageToken, binding: binding)
        var start = request.startTimeMs
        var limit = UInt32(size + 1)
        var fromEnd = false
        var remaining: Int?
        if let cursor {
            start = cursor.nextStartMs
            remaining = cursor.remaining
            if let left = cursor.remaining { limit = UInt32(min(left, size + 1)) }
        } else if request.limit > 0 {
            (limit, fromEnd, remaining) = (request.limit, true, Int(request.limit))
        }
        // With the page, the history before it that makes the values equal a computation over all of it
        // (IndicatorWarmUp), read together.
        let read = try await stored.bars(
            symbol: request.symbol, timeframe: request.timeframe, start: start, end: request.endTimeMs, limit: limit,
            fromEnd: fromEnd, history: IndicatorWarmUp.bars(for: specs), context: context)
        let warmUp = read.history
        var bars = read.bars
        var next = ""
        if bars.count > size {
            let nextStart = WireBars.timesMs(bars)[size]
            next = PageToken(binding: binding, nextStartMs: nextStart, remaining: remaining.map { $0 - size }).encoded
            bars = bars.prefix(size)
        }
        let page = bars
        let work: @Sendable () throws -> PulseV1.ComputeIndicatorsResponse = {
            try Self.response(request, specs: specs, bars: page, warmUp: warmUp)
        }
        let total = bars.count + (warmUp?.count ?? 0)
        var response = try total * columns > inlineLimit ? await context.computePool.run(work) : work()
        response.nextPageToken = next
        return response
    }

    /// Bars per response over stored bars: as many as keep the response within the 4 MiB message limit (the
    /// default of gRPC clients too), at most ``maxPageSize``. Each bar costs at most 10 bytes of time (a varint's
    /// longest), 8 per output and 50 more with `include_bars`; ``valueBudget`` leaves the rest of 4 MiB for tags,
    /// names and specs. Pages sized by bytes rather than a fixed count: a request for a few outputs reads long
    /// histories in few round trips (each page re-reads its warm-up), and one for many outputs never exceeds the
    /// limit (10,000 bars of 64 outputs would be 5 MB).
    public static func pageSize(outputs: Int, includeBars: Bool) -> Int {
        let perBar = 10 + 8 * outputs + (includeBars ? 50 : 0)
        return max(1, min(maxPageSize, valueBudget / perBar))
    }

    /// Bytes of times and values a response over stored bars may carry.
    public static let valueBudget = 4_100_000
    /// The most bars a response over stored bars holds, whatever its size.
    public static let maxPageSize = 100_000

    /// The response over `bars`, computed over `warmUp` followed by `bars` when there is a warm-up.
    static func response(
        _ request: PulseV1.ComputeIndicatorsRequest, specs: [IndicatorSpec], bars: BarSeries,
        warmUp: BarSeries? = nil
    ) throws(GRPCStatus) -> PulseV1.ComputeIndicatorsResponse {
        var response = PulseV1.ComputeIndicatorsResponse()
        let input = warmUp.map { $0.followed(by: bars) } ?? bars
        let skipped = warmUp?.count ?? 0
        response.indicators = try specs.enumerated().map { k, spec throws(GRPCStatus) in
            var series = try Self.series(spec, wire: request.indicators[k], index: k, bars: input)
            if skipped > 0 {
                for j in series.outputs.indices { series.outputs[j].values.removeFirst(skipped) }
                series.lookback = UInt32(clamping: min(max(spec.lookback - skipped, 0), bars.count))
            }
            return series
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
