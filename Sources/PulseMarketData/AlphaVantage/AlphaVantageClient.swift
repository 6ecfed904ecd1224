/// The Alpha Vantage API over the project's loop-driven HTTP client, within a shared request budget.
///
/// Every call goes through the pacer first (one unit of the key's quota per attempt), then one HTTP request;
/// errors Alpha Vantage reports in a 200 body become their own ``AlphaVantageError`` codes. Retryable ones
/// (`Note`, timeouts, 5xx) are retried with backoff and jitter up to the policy's attempts; a bad call, a spent
/// daily quota and a premium endpoint are thrown at once. Bars pass ``BarValidation`` and come oldest first.
///
/// ```swift
/// let http = try HTTPClient(loop: loop)
/// let client = AlphaVantageClient(
///     configuration: try AlphaVantageConfiguration(environment: environment), http: http,
///     pacer: RedisRequestPacer(redis: redis, configuration: configuration))
/// let march = try await client.intraday(symbol: "IBM", interval: .oneMinute, outputSize: .full, month: "2024-03")
/// ```
public final class AlphaVantageClient: Sendable {
    public let configuration: AlphaVantageConfiguration
    private let http: HTTPClient
    private let pacer: any RequestPacer

    public init(configuration: AlphaVantageConfiguration, http: HTTPClient, pacer: any RequestPacer = UnlimitedPacer())
    {
        self.configuration = configuration
        self.http = http
        self.pacer = pacer
    }

    /// `GLOBAL_QUOTE`.
    public func globalQuote(symbol: String, format: AlphaVantageFormat = .json) async throws(AlphaVantageError)
        -> AlphaVantageQuote
    {
        let (body, document) = try await fetch(.globalQuote(symbol: symbol, format: format))
        return try AlphaVantageParser.quote(body, document: document)
    }

    /// `TIME_SERIES_INTRADAY`; see ``AlphaVantageQuery/intraday(symbol:interval:outputSize:month:extendedHours:adjusted:format:)``.
    public func intraday(
        symbol: String, interval: IntradayInterval, outputSize: OutputSize = .compact, month: String? = nil,
        extendedHours: Bool? = nil, adjusted: Bool? = nil, format: AlphaVantageFormat = .json
    ) async throws(AlphaVantageError) -> AlphaVantageBars {
        let query = AlphaVantageQuery.intraday(
            symbol: symbol, interval: interval, outputSize: outputSize, month: month, extendedHours: extendedHours,
            adjusted: adjusted, format: format)
        return try await bars(query, symbol: symbol, interval: interval.rawValue)
    }

    /// `TIME_SERIES_DAILY`.
    public func daily(symbol: String, outputSize: OutputSize = .compact, format: AlphaVantageFormat = .json)
        async throws(AlphaVantageError) -> AlphaVantageBars
    {
        try await bars(.daily(symbol: symbol, outputSize: outputSize, format: format), symbol: symbol, interval: "1d")
    }

    /// `SYMBOL_SEARCH`.
    public func symbolSearch(keywords: String) async throws(AlphaVantageError) -> [SymbolMatch] {
        let (_, document) = try await fetch(.symbolSearch(keywords: keywords))
        guard let document else { throw AlphaVantageError(.malformedResponse, "SYMBOL_SEARCH did not answer JSON") }
        return try AlphaVantageParser.symbolMatches(document)
    }

    private func bars(_ query: AlphaVantageQuery, symbol: String, interval: String) async throws(AlphaVantageError)
        -> AlphaVantageBars
    {
        let (body, document) = try await fetch(query)
        if let document { return try AlphaVantageParser.bars(json: document, symbol: symbol, interval: interval) }
        return try AlphaVantageParser.bars(csv: body, symbol: symbol, interval: interval)
    }

    /// Sends `query` (paced, retried) and returns the body and, for JSON, its document.
    public func fetch(_ query: AlphaVantageQuery) async throws(AlphaVantageError) -> ([UInt8], JSONValue?) {
        let url = query.url(
            base: configuration.baseURL, apiKey: configuration.apiKey, entitlement: configuration.entitlement)
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await attemptOnce(url)
            } catch {
                guard error.isRetryable, attempt < configuration.retry.maximumAttempts, !Task.isCancelled else {
                    throw error
                }
                let pause = max(configuration.retry.delay(after: attempt), error.retryAfter ?? .zero)
                do {
                    try await Task.sleep(for: pause)
                } catch {
                    throw AlphaVantageError(.transport, "cancelled while waiting to retry")
                }
            }
        }
    }

    private func attemptOnce(_ url: String) async throws(AlphaVantageError) -> ([UInt8], JSONValue?) {
        try await pacer.acquire()
        let response: HTTPResponse
        do {
            response = try await http.get(url, timeout: configuration.timeout)
        } catch {
            throw AlphaVantageError(.transport, error.description)
        }
        guard response.status == 200 else {
            throw AlphaVantageError(
                .httpStatus, "HTTP \(response.status) from \(URLRedaction.redact(url))", status: response.status)
        }
        let document = try AlphaVantageResponse.check(
            response.body, rateLimitPause: configuration.rateLimitPause, now: RedisRequestPacer.wallClock())
        return (response.body, document)
    }
}
