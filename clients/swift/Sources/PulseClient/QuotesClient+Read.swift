import PulseProtocol

extension QuotesClient {
    /// The latest quote of `symbol` (NOT_FOUND when the server does not know it).
    public func quote(_ symbol: String, options: CallOptions = CallOptions()) async throws(RPCError) -> PulseV1.Quote {
        try await client.unary(
            PulseMethods.Quotes.getQuote, PulseV1.GetQuoteRequest(symbol: symbol), options: options, retry: retry)
    }

    /// The latest quotes of `symbols` in one call, and the symbols the server does not know.
    public func quotes(_ symbols: [String], options: CallOptions = CallOptions()) async throws(RPCError)
        -> PulseV1.GetQuotesResponse
    {
        try await client.unary(
            PulseMethods.Quotes.getQuotes, PulseV1.GetQuotesRequest(symbols: symbols), options: options, retry: retry)
    }

    /// The stored symbols (starting with `prefix`, at most `limit`; 0: all), sorted.
    public func symbols(prefix: String = "", limit: UInt32 = 0, options: CallOptions = CallOptions())
        async throws(RPCError) -> [PulseV1.SymbolInfo]
    {
        var request = PulseV1.ListSymbolsRequest()
        request.prefix = prefix
        request.limit = limit
        return try await client.unary(PulseMethods.Quotes.listSymbols, request, options: options, retry: retry).symbols
    }

    /// One page of bars: send the returned `nextPageToken` as `request.pageToken` for the next.
    public func barsPage(_ request: PulseV1.GetBarsRequest, options: CallOptions = CallOptions())
        async throws(RPCError) -> PulseV1.BarSeries
    {
        try await client.unary(PulseMethods.Quotes.getBars, request, options: options, retry: retry)
    }

    /// Every bar of `symbol` at `timeframe` in `[start, end)` (epoch milliseconds; nil: unbounded), the last
    /// `limit` when given, following the server's pages; `options.timeout` applies to each page.
    public func bars(
        _ symbol: String, timeframe: PulseV1.Timeframe = .oneDay, start: Int64? = nil, end: Int64? = nil,
        limit: UInt32 = 0, adjustment: PulseV1.Adjustment = .raw, options: CallOptions = CallOptions()
    ) async throws(RPCError) -> PulseV1.BarSeries {
        var request = PulseV1.GetBarsRequest()
        request.symbol = symbol
        request.timeframe = timeframe
        request.startTimeMs = start ?? 0
        request.endTimeMs = end ?? 0
        request.limit = limit
        request.adjustment = adjustment
        var all = try await barsPage(request, options: options)
        var token = all.nextPageToken
        while !token.isEmpty {
            request.pageToken = token
            let page = try await barsPage(request, options: options)
            all.appendBars(of: page)
            token = page.nextPageToken
        }
        all.nextPageToken = ""
        return all
    }

    /// The NYSE clock now.
    public func clock(options: CallOptions = CallOptions()) async throws(RPCError) -> PulseV1.MarketClock {
        try await client.unary(PulseMethods.Quotes.getClock, PulseV1.GetClockRequest(), options: options, retry: retry)
    }

    /// The NYSE sessions whose regular open is in `[start, end)` (epoch milliseconds).
    public func sessions(start: Int64, end: Int64, options: CallOptions = CallOptions()) async throws(RPCError)
        -> [PulseV1.MarketSession]
    {
        try await client.unary(
            PulseMethods.Quotes.getSessions, PulseV1.GetSessionsRequest(startTimeMs: start, endTimeMs: end),
            options: options, retry: retry
        ).sessions
    }
}

extension PulseV1.BarSeries {
    /// `page`'s bars after these (the pages of one request, joined).
    mutating func appendBars(of page: PulseV1.BarSeries) {
        timeMs += page.timeMs
        open += page.open
        high += page.high
        low += page.low
        close += page.close
        volume += page.volume
    }
}
