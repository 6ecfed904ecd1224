import PulseProtocol

/// Typed calls of `pulse.v1.Indicators`. Compute is idempotent and retried on UNAVAILABLE by ``retry``.
///
/// ```swift
/// var request = PulseV1.ComputeIndicatorsRequest()
/// request.symbol = "AAPL"
/// request.timeframe = try .parsing("1h")
/// request.indicators = [PulseV1.IndicatorSpec(function: "rsi", parameters: [14])]
/// let rsi = try await client.indicators.compute(request)          // every page, joined
/// for try await update in client.indicators.subscribe(symbol: "AAPL", timeframe: try .parsing("5m"),
///                                                      indicators: request.indicators) { … }
/// ```
public struct IndicatorsClient: Sendable {
    let client: PulseClient
    /// How Compute is retried.
    public var retry: RetryPolicy

    /// One page of a Compute call: send the returned `nextPageToken` as `request.pageToken` for the next.
    public func computePage(_ request: PulseV1.ComputeIndicatorsRequest, options: CallOptions = CallOptions())
        async throws(RPCError) -> PulseV1.ComputeIndicatorsResponse
    {
        try await client.unary(PulseMethods.Indicators.compute, request, options: options, retry: retry)
    }

    /// Compute over inline bars, or over a stored symbol following the server's pages to the end (the times, the
    /// outputs and the bars, when asked for, joined in order); `options.timeout` applies to each page.
    public func compute(_ request: PulseV1.ComputeIndicatorsRequest, options: CallOptions = CallOptions())
        async throws(RPCError) -> PulseV1.ComputeIndicatorsResponse
    {
        var request = request
        var all = try await computePage(request, options: options)
        while !all.nextPageToken.isEmpty {
            request.pageToken = all.nextPageToken
            let page = try await computePage(request, options: options)
            all.timeMs += page.timeMs
            for (k, series) in page.indicators.enumerated() where k < all.indicators.count {
                for (j, output) in series.outputs.enumerated() where j < all.indicators[k].outputs.count {
                    all.indicators[k].outputs[j].values += output.values
                }
            }
            if let bars = page.bars { all.bars?.appendBars(of: bars) }
            all.nextPageToken = page.nextPageToken
        }
        return all
    }

    /// Live values of `indicators` over `symbol`'s bars at `timeframe` (1 minute by default): `history` closed
    /// bars first, then an update per tick (`barClosed` false) and per closed bar; `resumeFrom` continues after a
    /// tick sequence.
    public func subscribe(
        symbol: String, timeframe: PulseV1.Timeframe? = nil, indicators: [PulseV1.IndicatorSpec],
        history: UInt32 = 5, resumeFrom: UInt64 = 0, options: CallOptions = CallOptions()
    ) -> ResponseStream<PulseV1.IndicatorUpdate> {
        var request = PulseV1.SubscribeIndicatorsRequest()
        request.symbol = symbol
        request.timeframe = timeframe
        request.indicators = indicators
        request.history = history
        request.resumeFrom = resumeFrom
        return client.serverStream(PulseMethods.Indicators.subscribe, request, options: options)
    }
}

/// Typed calls of `pulse.v1.Backtests`. Run is idempotent (the same request, the same result) and retried on
/// UNAVAILABLE by ``retry``; the streams are not retried (resubscribe to start again).
///
/// ```swift
/// var request = PulseV1.BacktestRequest()
/// request.symbols = ["GOOG"]
/// var strategy = PulseV1.Strategy()
/// strategy.name = "sma-cross"
/// request.strategy = strategy
/// let result = try await client.backtests.run(request)
/// for try await event in client.backtests.runStream(request) { … }   // progress, then the result
/// ```
public struct BacktestsClient: Sendable {
    let client: PulseClient
    /// How Run is retried.
    public var retry: RetryPolicy

    public func run(_ request: PulseV1.BacktestRequest, options: CallOptions = CallOptions()) async throws(RPCError)
        -> PulseV1.BacktestResult
    {
        try await client.unary(PulseMethods.Backtests.run, request, options: options, retry: retry)
    }

    /// Progress events, then the result.
    public func runStream(_ request: PulseV1.BacktestRequest, options: CallOptions = CallOptions())
        -> ResponseStream<PulseV1.BacktestEvent>
    {
        client.serverStream(PulseMethods.Backtests.runStream, request, options: options)
    }

    /// A result per parameter set as it finishes; cancelling the stream stops the work.
    public func optimize(_ request: PulseV1.OptimizeRequest, options: CallOptions = CallOptions())
        -> ResponseStream<PulseV1.OptimizeResult>
    {
        client.serverStream(PulseMethods.Backtests.optimize, request, options: options)
    }
}

extension PulseClient {
    /// `pulse.v1.Indicators`, retrying Compute with ``RetryPolicy/standard``.
    public var indicators: IndicatorsClient { IndicatorsClient(client: self, retry: .standard) }

    /// `pulse.v1.Backtests`, retrying Run with ``RetryPolicy/standard``.
    public var backtests: BacktestsClient { BacktestsClient(client: self, retry: .standard) }
}
