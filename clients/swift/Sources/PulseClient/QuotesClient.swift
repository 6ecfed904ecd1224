import PulseProtocol

/// Typed calls of `pulse.v1.Quotes`. The read methods are idempotent and retried on UNAVAILABLE by ``retry``.
///
/// ```swift
/// let quote = try await client.quotes.quote("AAPL")
/// let hourly = try await client.quotes.bars("AAPL", timeframe: try .parsing("1h"), start: start, end: end)
/// let clock = try await client.quotes.clock()
/// ```
public struct QuotesClient: Sendable {
    let client: PulseClient
    /// How the idempotent calls are retried.
    public var retry: RetryPolicy

    init(client: PulseClient, retry: RetryPolicy) {
        self.client = client
        self.retry = retry
    }
}

extension PulseClient {
    /// `pulse.v1.Quotes`, retrying idempotent calls with ``RetryPolicy/standard``.
    public var quotes: QuotesClient { QuotesClient(client: self, retry: .standard) }

    /// `pulse.v1.Quotes` with another retry policy.
    public func quotes(retry: RetryPolicy) -> QuotesClient { QuotesClient(client: self, retry: retry) }
}
