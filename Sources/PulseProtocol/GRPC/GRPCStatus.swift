/// A gRPC call's outcome: a status code and a human-readable message, as sent in the `grpc-status` and
/// `grpc-message` trailers. Non-OK statuses are thrown as errors.
public struct GRPCStatus: Error, Hashable, Sendable, CustomStringConvertible {
    /// One of gRPC's 17 status codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Int, Sendable, CaseIterable {
            case ok = 0, cancelled, unknown, invalidArgument, deadlineExceeded, notFound, alreadyExists
            case permissionDenied, resourceExhausted, failedPrecondition, aborted, outOfRange
            case unimplemented, `internal`, unavailable, dataLoss, unauthenticated
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Creates a code from its wire number; nil outside 0...16.
        public init?(rawValue: Int) {
            guard let wrapped = Wrapped(rawValue: rawValue) else { return nil }
            self.wrapped = wrapped
        }

        /// Parses a `grpc-status` header value. gRPC asks clients to read anything unparsable as UNKNOWN.
        public init(headerValue: some StringProtocol) {
            self = Int(headerValue).flatMap(Code.init(rawValue:)) ?? .unknown
        }

        /// The code's number on the wire.
        public var rawValue: Int { wrapped.rawValue }

        public static let ok = Code(.ok)
        public static let cancelled = Code(.cancelled)
        public static let unknown = Code(.unknown)
        public static let invalidArgument = Code(.invalidArgument)
        public static let deadlineExceeded = Code(.deadlineExceeded)
        public static let notFound = Code(.notFound)
        public static let alreadyExists = Code(.alreadyExists)
        public static let permissionDenied = Code(.permissionDenied)
        public static let resourceExhausted = Code(.resourceExhausted)
        public static let failedPrecondition = Code(.failedPrecondition)
        public static let aborted = Code(.aborted)
        public static let outOfRange = Code(.outOfRange)
        public static let unimplemented = Code(.unimplemented)
        public static let `internal` = Code(.internal)
        public static let unavailable = Code(.unavailable)
        public static let dataLoss = Code(.dataLoss)
        public static let unauthenticated = Code(.unauthenticated)

        /// Every code, in wire order.
        public static let allCases: [Code] = Wrapped.allCases.map(Code.init)

        /// The spec's upper-case name, e.g. `RESOURCE_EXHAUSTED`.
        public var name: String {
            switch wrapped {
            case .ok: return "OK"
            case .cancelled: return "CANCELLED"
            case .unknown: return "UNKNOWN"
            case .invalidArgument: return "INVALID_ARGUMENT"
            case .deadlineExceeded: return "DEADLINE_EXCEEDED"
            case .notFound: return "NOT_FOUND"
            case .alreadyExists: return "ALREADY_EXISTS"
            case .permissionDenied: return "PERMISSION_DENIED"
            case .resourceExhausted: return "RESOURCE_EXHAUSTED"
            case .failedPrecondition: return "FAILED_PRECONDITION"
            case .aborted: return "ABORTED"
            case .outOfRange: return "OUT_OF_RANGE"
            case .unimplemented: return "UNIMPLEMENTED"
            case .internal: return "INTERNAL"
            case .unavailable: return "UNAVAILABLE"
            case .dataLoss: return "DATA_LOSS"
            case .unauthenticated: return "UNAUTHENTICATED"
            }
        }

        public var description: String { name }
    }

    /// The status code.
    public var code: Code
    /// What happened, for a person to read (sent percent-encoded in `grpc-message`).
    public var message: String
    /// A client's copy of the `grpc-status-details-bin` trailer (a serialized `google.rpc.Status`), empty when
    /// absent. Servers send details through their own trailers, not through this.
    public var details: [UInt8] = []

    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message
    }

    /// The successful status.
    public static let ok = GRPCStatus(.ok)

    /// Whether the call succeeded.
    public var isOK: Bool { code == .ok }

    public var description: String {
        message.isEmpty ? "\(code.name) (\(code.rawValue))" : "\(code.name) (\(code.rawValue)): \(message)"
    }
}

extension GRPCStatus {
    /// The status a server returns for a request body that does not decode: INTERNAL, as the gRPC spec says.
    public init(decodingFailure error: ProtocolError) {
        self.init(.internal, "request body does not parse: \(error)")
    }
}
