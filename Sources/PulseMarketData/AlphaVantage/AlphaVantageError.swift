/// An Alpha Vantage call that gave no data, as the error it is.
///
/// Alpha Vantage answers every call with HTTP 200; its errors are JSON bodies with one top-level key, and each
/// has its own code here because each asks for something different of the caller: an `Error Message` is a bad
/// call (fix it, never retry), a `Note` is the older per-minute rate-limit text (retry in a minute), an
/// `Information` about the daily limit means the key's quota is spent (retry after midnight US/Eastern),
/// and one about a premium endpoint will never succeed on this key.
///
/// The description never holds the API key (URLs are redacted, see ``URLRedaction``).
public struct AlphaVantageError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Sendable {
            case invalidCall, rateLimited, dailyQuotaExhausted, premiumEndpoint, information, httpStatus,
                transport, malformedResponse, badData, pacerUnavailable, missingAPIKey
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// `Error Message`: the call is wrong (unknown symbol, bad parameter, bad key). Not retried.
        public static let invalidCall = Code(.invalidCall)
        /// `Note`: the older rate-limit answer (calls per minute). Retried after a pause.
        public static let rateLimited = Code(.rateLimited)
        /// `Information` about the daily limit, or the shared pacer's daily budget is spent: retry tomorrow.
        public static let dailyQuotaExhausted = Code(.dailyQuotaExhausted)
        /// `Information`: a premium endpoint (or parameter) this key may not use. Never retried.
        public static let premiumEndpoint = Code(.premiumEndpoint)
        /// Another `Information` text. Not retried.
        public static let information = Code(.information)
        /// A status other than 200 (a proxy or an outage). 5xx and 429 are retried.
        public static let httpStatus = Code(.httpStatus)
        /// No response at all (see `HTTPError`); timeouts and connection failures are retried.
        public static let transport = Code(.transport)
        /// A 200 whose body is neither data nor a known error shape.
        public static let malformedResponse = Code(.malformedResponse)
        /// Bars that ``BarValidation`` refused (NaN, high below low, duplicates).
        public static let badData = Code(.badData)
        /// The Redis that holds the shared request budget cannot be reached; no request was sent.
        public static let pacerUnavailable = Code(.pacerUnavailable)
        /// No API key is configured (`ALPHA_VANTAGE_API_KEY`).
        public static let missingAPIKey = Code(.missingAPIKey)

        public var description: String {
            switch wrapped {
            case .invalidCall: return "invalid call"
            case .rateLimited: return "rate limited"
            case .dailyQuotaExhausted: return "daily quota exhausted"
            case .premiumEndpoint: return "premium endpoint"
            case .information: return "information"
            case .httpStatus: return "HTTP status"
            case .transport: return "transport"
            case .malformedResponse: return "malformed response"
            case .badData: return "bad data"
            case .pacerUnavailable: return "pacer unavailable"
            case .missingAPIKey: return "missing API key"
            }
        }
    }

    public var code: Code
    /// What Alpha Vantage (or the transport) said; never the key.
    public var message: String
    /// When to try again, where the kind says so (a minute for `Note`, until US/Eastern midnight for the quota).
    public var retryAfter: Duration?
    /// The HTTP status for `.httpStatus`.
    public var status: Int?

    public init(_ code: Code, _ message: String, retryAfter: Duration? = nil, status: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.status = status
    }

    /// Whether the client retries this one by itself (within its retry policy).
    public var isRetryable: Bool {
        switch code {
        case .rateLimited, .transport, .pacerUnavailable: return true
        case .httpStatus: return status.map { $0 >= 500 || $0 == 429 } ?? false
        default: return false
        }
    }

    public var description: String { "Alpha Vantage \(code): \(message)" }
}
