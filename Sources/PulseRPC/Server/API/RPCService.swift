import PulseProtocol

/// A gRPC service: its full name and the methods it serves.
///
/// ```swift
/// struct Greeter: RPCService {
///     let serviceName = "demo.Greeter"
///     var methods: [RPCMethodDefinition] {
///         [.unary(Greeter.hello) { request, context in HelloReply(text: "hi " + request.name) }]
///     }
///     static let hello = UnaryMethod<HelloRequest, HelloReply>(service: "demo.Greeter", name: "Hello")
///     }
/// }
/// ```
public protocol RPCService: Sendable {
    /// The full service name, e.g. `pulse.v1.Diagnostics`, as reported by health checks.
    var serviceName: String { get }
    /// The methods this service answers.
    var methods: [RPCMethodDefinition] { get }
}

/// One method and its handler, working on message bodies (bytes without the 5-byte gRPC prefix). Services
/// register typed methods with ``unary(_:_:)`` and ``serverStreaming(_:_:)``; the raw initialiser is for
/// byte-level handlers (tests, proxies).
public struct RPCMethodDefinition: Sendable {
    /// The handler shapes the server supports.
    public enum Handler: Sendable {
        /// Takes the request body, returns the response message.
        case unary(@Sendable ([UInt8], ServerContext) async throws -> ResponseMessage)
        /// Takes the request body and writes any number of framed responses.
        case serverStreaming(@Sendable ([UInt8], RawStreamWriter, ServerContext) async throws -> Void)
    }

    public let method: GRPCMethod
    public let handler: Handler

    public init(method: GRPCMethod, handler: Handler) {
        self.method = method
        self.handler = handler
    }

    /// A unary method; its descriptor fixes the message types. A request that does not decode ends the call
    /// with INTERNAL; a thrown ``GRPCStatus`` ends it with that status; any other error with UNKNOWN.
    public static func unary<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: UnaryMethod<Request, Response>,
        _ body: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) -> RPCMethodDefinition {
        RPCMethodDefinition(
            method: method.descriptor,
            handler: .unary { bytes, context in
                let request = try decodeRequest(Request.self, bytes)
                return ResponseMessage(try await body(request, context))
            })
    }

    /// A server-streaming method; its descriptor fixes the message types. The handler sends through the
    /// writer and returns to end the stream with OK.
    public static func serverStreaming<Request: ProtoMessage, Response: ProtoMessage>(
        _ method: ServerStreamingMethod<Request, Response>,
        _ body: @escaping @Sendable (Request, StreamWriter<Response>, ServerContext) async throws -> Void
    ) -> RPCMethodDefinition {
        RPCMethodDefinition(
            method: method.descriptor,
            handler: .serverStreaming { bytes, stream, context in
                let request = try decodeRequest(Request.self, bytes)
                try await body(request, StreamWriter(stream), context)
            })
    }

    private static func decodeRequest<M: ProtoMessage>(_ type: M.Type, _ bytes: [UInt8]) throws(GRPCStatus) -> M {
        do {
            return try M(serializedBytes: bytes)
        } catch {
            throw GRPCStatus(.internal, "request message does not parse: \(error)")
        }
    }
}

/// A response message ready for the wire (framed once, when it is created).
public struct ResponseMessage: Sendable {
    let framed: [UInt8]

    /// Wraps an encoded message body.
    public init(body: [UInt8]) { framed = GRPCFraming.frame(body: body) }

    /// Encodes `message` straight into its framed form.
    public init<M: ProtoMessage>(_ message: M) { framed = GRPCFraming.frame(message) }

    /// The body's size in bytes (without the 5-byte prefix).
    public var bodySize: Int { framed.count - GRPCFraming.prefixSize }
}
