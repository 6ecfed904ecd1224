import PulseProtocol

/// Typed calls of `pulse.v1.Quotes`' loading slice: LoadSymbol and Screen.
///
/// ```swift
/// let loaded = try await client.loading.loadSymbol(symbol: "IBM", source: .alphaVantage)
/// print(loaded.job?.state == .running ? "backfill started" : "\(loaded.barsLoaded) bars")
/// let movers = try await client.loading.screen(metric: .return, window: 20, limit: 10)
/// ```
public struct LoadingClient: Sendable {
    let client: PulseClient

    /// Starts tracking `request.symbol` and loads its history (idempotent: a repeated call rewrites nothing).
    public func loadSymbol(_ request: PulseV1.LoadSymbolRequest, options: CallOptions = CallOptions())
        async throws(RPCError) -> PulseV1.LoadSymbolResponse
    {
        try await client.unary(PulseMethods.Quotes.loadSymbol, request, options: options)
    }

    /// LoadSymbol with its common fields.
    public func loadSymbol(
        symbol: String, source: PulseV1.DataSource = .unspecified, timeframe: PulseV1.Timeframe? = nil,
        startTimeMs: Int64 = 0, endTimeMs: Int64 = 0, csv: [UInt8] = [], options: CallOptions = CallOptions()
    ) async throws(RPCError) -> PulseV1.LoadSymbolResponse {
        var request = PulseV1.LoadSymbolRequest()
        request.symbol = symbol
        request.source = source
        request.timeframe = timeframe
        request.startTimeMs = startTimeMs
        request.endTimeMs = endTimeMs
        request.csv = csv
        return try await loadSymbol(request, options: options)
    }

    /// Ranks stored symbols by a statistic of their latest bars.
    public func screen(_ request: PulseV1.ScreenRequest, options: CallOptions = CallOptions()) async throws(RPCError)
        -> PulseV1.ScreenResponse
    {
        try await client.unary(PulseMethods.Quotes.screen, request, options: options)
    }

    /// Screen with the metric, window and limit.
    public func screen(
        metric: PulseV1.ScreenMetric, window: UInt32 = 0, limit: UInt32 = 0, options: CallOptions = CallOptions()
    ) async throws(RPCError) -> PulseV1.ScreenResponse {
        var request = PulseV1.ScreenRequest()
        request.metric = metric
        request.window = window
        request.limit = limit
        return try await screen(request, options: options)
    }
}

extension PulseClient {
    /// `pulse.v1.Quotes` LoadSymbol and Screen.
    public var loading: LoadingClient { LoadingClient(client: self) }
}
