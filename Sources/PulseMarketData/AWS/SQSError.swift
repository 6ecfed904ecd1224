/// An SQS call that did not succeed. Messages name the operation and SQS's error type, never credentials.
public struct SQSError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Sendable { case service, transport, malformedResponse, credentials }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// SQS answered with an error (`type` says which: `QueueDoesNotExist`, `ReceiptHandleIsInvalid`, …).
        public static let service = Code(.service)
        /// No answer (see `HTTPError`): retry.
        public static let transport = Code(.transport)
        /// An answer that is not SQS's JSON.
        public static let malformedResponse = Code(.malformedResponse)
        /// No credentials to sign with (see `AWSCredentialsError`).
        public static let credentials = Code(.credentials)

        public var description: String {
            switch wrapped {
            case .service: return "service error"
            case .transport: return "transport"
            case .malformedResponse: return "malformed response"
            case .credentials: return "credentials"
            }
        }
    }

    public var code: Code
    /// SQS's error type without its namespace (`QueueDoesNotExist`), for `.service`.
    public var type: String?
    public var message: String
    public var status: Int?

    public init(_ code: Code, _ message: String, type: String? = nil, status: Int? = nil) {
        self.code = code
        self.message = message
        self.type = type
        self.status = status
    }

    /// Throttling, 5xx and transport failures may succeed later.
    public var isRetryable: Bool {
        code == .transport || (status ?? 0) >= 500
            || ["ThrottlingException", "RequestThrottled", "ServiceUnavailable"].contains(type ?? "")
    }

    public var description: String {
        "SQS \(code)\(type.map { " \($0)" } ?? ""): \(message)"
    }
}
