import PulseIO
import PulseProtocol

/// Code that runs around every call — auth, rate limits, metrics, access logs — instead of inside handlers.
///
/// Both hooks run on the call's loop. ``willStart(_:)`` runs before the handler and may reject the call by
/// throwing a ``GRPCStatus`` (the handler never runs; the client gets that status and message), and may add
/// response headers and trailers through the context. ``didFinish(_:trailers:)`` runs once the call's status
/// is decided, before the trailers go out, for every gRPC call (also those rejected before a handler, and
/// unknown methods); it may add trailers such as `grpc-status-details-bin`.
///
/// ```swift
/// struct RequireKey: ServerInterceptor {
///     var hooks: ServerInterceptorHooks { .start }
///     func willStart(_ context: ServerContext) async throws {
///         guard context.metadata["x-api-key"] == "secret" else { throw GRPCStatus(.unauthenticated, "no key") }
///     }
/// }
/// let server = RPCServer(..., interceptors: [RequireKey()])
/// ```
public protocol ServerInterceptor: Sendable {
    /// Which hooks this interceptor uses; the server skips the others (and measures durations only when an
    /// interceptor asks for ``ServerInterceptorHooks/timing``), so unused hooks cost nothing per call.
    var hooks: ServerInterceptorHooks { get }
    /// Before the handler; throw a ``GRPCStatus`` to reject the call.
    func willStart(_ context: ServerContext) async throws
    /// The fast path of ``willStart(_:)``, tried first: `true` admits the call without suspending
    /// (``willStart(_:)`` is then not called), `false` leaves the decision to ``willStart(_:)``; throw a
    /// ``GRPCStatus`` to reject. An `async` hook costs its frame an allocation on every call, so a check usually
    /// answered from memory (a cached API key) belongs here.
    func admitWithoutSuspending(_ context: ServerContext) throws -> Bool
    /// After the status is decided; `trailers` are sent after `grpc-status` and `grpc-message`.
    func didFinish(_ call: ServerCallSummary, trailers: inout Metadata)
}

extension ServerInterceptor {
    public var hooks: ServerInterceptorHooks { [.start, .finish, .timing] }
    public func willStart(_ context: ServerContext) async throws {}
    public func admitWithoutSuspending(_ context: ServerContext) throws -> Bool { false }
    public func didFinish(_ call: ServerCallSummary, trailers: inout Metadata) {}
}

/// The hooks an interceptor uses.
public struct ServerInterceptorHooks: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// ``ServerInterceptor/willStart(_:)`` is called.
    public static let start = ServerInterceptorHooks(rawValue: 1)
    /// ``ServerInterceptor/didFinish(_:trailers:)`` is called.
    public static let finish = ServerInterceptorHooks(rawValue: 2)
    /// ``ServerCallSummary/duration`` is measured (otherwise it is zero).
    public static let timing = ServerInterceptorHooks(rawValue: 4)
}

/// What an interceptor learns about a finished call.
public struct ServerCallSummary: Sendable {
    /// The method, or nil when the request named no known method (it ended UNIMPLEMENTED).
    public let method: GRPCMethod?
    /// The request's `:path` when it named no known method.
    let unknownPath: String?
    /// The client's address.
    public let peer: String
    /// Custom request metadata.
    public let requestMetadata: Metadata
    /// The call's final status.
    public let status: GRPCStatus
    /// From the request's first header to the decided status; zero unless an interceptor asked for timing.
    public let duration: Duration
    /// Size of the request message body in bytes (0 when none arrived).
    public let requestBytes: Int
    /// Response message bodies queued, and their total size in bytes (without the 5-byte prefixes).
    public let responseMessages: Int
    public let responseBytes: Int
    /// The loop the call ran on (for loop-local bookkeeping).
    public let loop: EventLoop
    /// The id of an internal error's message ("internal error (id …)"), which is the call's request id; nil when
    /// the call had no such error.
    public let errorID: String?

    /// The `:path` of the call (`/pulse.v1.Quotes/GetQuote`).
    public var path: String { method?.path ?? unknownPath ?? "" }
}

/// The interceptors of a server, split by hook once so a call only touches the ones it needs.
struct InterceptorChain: Sendable {
    let start: [any ServerInterceptor]
    let finish: [any ServerInterceptor]
    let timing: Bool

    init(_ interceptors: [any ServerInterceptor]) {
        start = interceptors.filter { $0.hooks.contains(.start) }
        finish = interceptors.filter { $0.hooks.contains(.finish) }
        timing = interceptors.contains { $0.hooks.contains(.timing) }
    }
}
