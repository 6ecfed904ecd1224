import PulseProtocol

/// How unary calls of idempotent methods are retried: on UNAVAILABLE only (the server could not be reached, it
/// was restarting, or a data store behind it was away), with exponential backoff and full jitter so many clients
/// do not retry in step. Every attempt has the call's own timeout; cancellation stops the retries.
///
/// ```swift
/// let quotes = client.quotes(retry: RetryPolicy(maxAttempts: 6))
/// ```
public struct RetryPolicy: Sendable {
    /// Attempts in all (1: no retry).
    public var maxAttempts: Int
    /// The ceiling of the first wait; doubled per further attempt up to ``maxBackoff``.
    public var initialBackoff: Duration
    public var maxBackoff: Duration

    public init(maxAttempts: Int = 4, initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(2))
    {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    /// Four attempts, waits of up to 0.1, 0.2 and 0.4 s.
    public static let standard = RetryPolicy()
    /// One attempt.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The wait before attempt `attempt + 1` (attempt counts from 1): uniform in [0, min(max, initial · 2^(attempt−1))].
    func backoff(after attempt: Int) -> Duration {
        let ceiling = min(initialBackoff * (1 << min(attempt - 1, 20)), maxBackoff)
        return ceiling * Double.random(in: 0...1)
    }
}

extension PulseClient {
    /// A unary call retried by `retry` while it fails UNAVAILABLE (for idempotent methods only).
    public func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: UnaryMethod<Request, Response>, _ request: Request, options: CallOptions = CallOptions(),
        retry: RetryPolicy
    ) async throws(RPCError) -> Response {
        var attempt = 1
        while true {
            do {
                return try await unary(method, request, options: options)
            } catch  where error.code == .unavailable && attempt < retry.maxAttempts && !Task.isCancelled {
                do {
                    try await Task.sleep(for: retry.backoff(after: attempt))
                } catch {
                    throw RPCError(code: .cancelled, message: "cancelled while waiting to retry")
                }
                attempt += 1
            }
        }
    }
}
