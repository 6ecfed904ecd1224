import PulseProtocol

/// One RPC as the client transport sends it: the method path, metadata and the framed request body.
public struct ClientRequest: Sendable {
    /// `/package.Service/Method`.
    public var path: String { didSet { rebuildHead() } }
    /// Custom metadata (lower-case names; `-bin` values already base64-encoded).
    public var metadata: [HTTP2HeaderField] { didSet { rebuildHead() } }
    /// The request body, already gRPC-framed (5-byte prefix + message).
    public var body: [UInt8]
    /// How long the call may take; sent as `grpc-timeout` and enforced locally too.
    public var timeout: Duration? { didSet { rebuildHead() } }
    /// The largest response message accepted (RESOURCE_EXHAUSTED beyond it).
    public var maxResponseMessageSize: Int
    /// The header block prebuilt for nghttp2, shared by every call (and copy) of this request; rebuilt
    /// when a field it depends on changes.
    private(set) var head: ClientRequestHead

    /// Creates a request for one framed message.
    public init(
        path: String, body: [UInt8], metadata: [HTTP2HeaderField] = [], timeout: Duration? = nil,
        maxResponseMessageSize: Int = GRPCFraming.defaultMaxMessageSize
    ) {
        self.path = path
        self.body = body
        self.metadata = metadata
        self.timeout = timeout
        self.maxResponseMessageSize = maxResponseMessageSize
        head = ClientRequestHead(Self.headerBlock(path: path, authority: "", metadata: metadata, timeout: timeout))
    }

    private mutating func rebuildHead() {
        head = ClientRequestHead(headerBlock(authority: ""))
    }

    /// The HTTP/2 request header block for this call.
    func headerBlock(authority: String) -> [HTTP2HeaderField] {
        Self.headerBlock(path: path, authority: authority, metadata: metadata, timeout: timeout)
    }

    private static func headerBlock(
        path: String, authority: String, metadata: [HTTP2HeaderField], timeout: Duration?
    ) -> [HTTP2HeaderField] {
        var fields = [
            HTTP2HeaderField(name: ":method", value: "POST"),
            HTTP2HeaderField(name: ":scheme", value: "http"),
            HTTP2HeaderField(name: ":path", value: path),
            HTTP2HeaderField(name: ":authority", value: authority),
            HTTP2HeaderField(name: "content-type", value: "application/grpc"),
            HTTP2HeaderField(name: "te", value: "trailers"),
            HTTP2HeaderField(name: "user-agent", value: "pulse-swift/1"),
        ]
        if let timeout {
            fields.append(HTTP2HeaderField(name: "grpc-timeout", value: GRPCTimeout(timeout).headerValue))
        }
        fields.append(contentsOf: metadata)
        return fields
    }
}
