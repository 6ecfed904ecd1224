/// An HTTP request that did not produce a response.
///
/// The description never holds a credential: URLs in messages pass through ``URLRedaction`` first (an Alpha
/// Vantage `apikey=` or a presigned URL's signature becomes `REDACTED`), and request headers are never quoted.
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Sendable {
            case timeout, connect, transport, certificate, cancelled, closed, responseTooLarge, invalidRequest
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The transfer did not finish within its timeout (connecting or in total).
        public static let timeout = Code(.timeout)
        /// The host could not be resolved or reached.
        public static let connect = Code(.connect)
        /// The connection failed during the exchange (reset, bad TLS, malformed response).
        public static let transport = Code(.transport)
        /// The server's certificate was refused (not signed by a trusted CA, wrong host name, expired) or the CA
        /// file cannot be read: a configuration to fix, not a failure to retry.
        public static let certificate = Code(.certificate)
        /// The awaiting task was cancelled; the transfer was stopped.
        public static let cancelled = Code(.cancelled)
        /// The client was closed.
        public static let closed = Code(.closed)
        /// The response body exceeded the client's limit.
        public static let responseTooLarge = Code(.responseTooLarge)
        /// The request cannot be sent (bad URL, bad header).
        public static let invalidRequest = Code(.invalidRequest)

        /// Whether trying the same request again later may succeed.
        public var isRetryable: Bool {
            switch wrapped {
            case .timeout, .connect, .transport: return true
            case .certificate, .cancelled, .closed, .responseTooLarge, .invalidRequest: return false
            }
        }

        public var description: String {
            switch wrapped {
            case .timeout: return "timeout"
            case .connect: return "cannot connect"
            case .transport: return "transport error"
            case .certificate: return "certificate refused"
            case .cancelled: return "cancelled"
            case .closed: return "closed"
            case .responseTooLarge: return "response too large"
            case .invalidRequest: return "invalid request"
            }
        }
    }

    public var code: Code
    /// What happened, with the URL redacted.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "HTTP \(code): \(message)" }
}
