import PulseClient
import PulseMarketData
import PulseProtocol

/// A failed request: the gRPC status it maps from (or would, had it reached the server) and a message for the
/// caller. Rendered as `{"error":{"code":"NOT_FOUND","message":"…"}}`.
public struct BridgeError: Error, Sendable, Equatable {
    public var code: GRPCStatus.Code
    public var message: String
    /// Whole seconds to wait before retrying (`Retry-After`), from the upstream status' `google.rpc.RetryInfo`.
    public var retryAfterSeconds: Int?
    /// Set when the path exists but not for this method: HTTP 405 with `Allow` rather than UNIMPLEMENTED's 501.
    public var allowedMethod: String?

    public init(_ code: GRPCStatus.Code, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// An upstream call's failure. UNAVAILABLE comes mostly from our own client (connect refused, connection
    /// lost), whose message names the upstream host: browsers get a fixed message instead.
    public init(_ error: RPCError) {
        if error.code == .unavailable {
            self.init(.unavailable, "the PulseTrader server is unavailable; try again")
        } else {
            self.init(error.code, error.message)
        }
        if let delay = error.retryDelay {
            // Retry-After counts whole seconds; round up so a client never comes back early, and never say 0.
            let (seconds, attoseconds) = delay.components
            retryAfterSeconds = max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
        }
    }

    /// The HTTP status grpc-gateway maps each gRPC code to (`runtime.HTTPStatusFromCode`).
    public static func httpStatus(for code: GRPCStatus.Code) -> Int {
        switch code {
        case .ok: return 200
        case .cancelled: return 499
        case .invalidArgument, .failedPrecondition, .outOfRange: return 400
        case .deadlineExceeded: return 504
        case .notFound: return 404
        case .alreadyExists, .aborted: return 409
        case .permissionDenied: return 403
        case .unauthenticated: return 401
        case .resourceExhausted: return 429
        case .unimplemented: return 501
        case .unavailable: return 503
        default: return 500  // UNKNOWN, INTERNAL, DATA_LOSS
        }
    }

    public var httpStatus: Int { allowedMethod == nil ? Self.httpStatus(for: code) : 405 }

    public var json: JSONValue {
        .object([
            JSONMember(
                name: "error",
                value: .object([
                    JSONMember(name: "code", value: .string(code.name)),
                    JSONMember(name: "message", value: .string(message)),
                ]))
        ])
    }
}
