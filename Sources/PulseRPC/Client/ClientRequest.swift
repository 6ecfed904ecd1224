import PulseProtocol

/// One RPC as the client transport sends it: the method path, metadata and the framed request body.
///
/// A value type over one shared, copy-on-write storage object that also holds the header block prebuilt
/// for nghttp2, so passing a request to every call that sends it costs one reference count, not one per field.
public struct ClientRequest: Sendable {
    /// `/package.Service/Method`.
    public var path: String {
        get { storage.path }
        set { update(rebuildingHead: true) { $0.path = newValue } }
    }
    /// Custom metadata (lower-case names; `-bin` values already base64-encoded).
    public var metadata: [HTTP2HeaderField] {
        get { storage.metadata }
        set { update(rebuildingHead: true) { $0.metadata = newValue } }
    }
    /// The request body, already gRPC-framed (5-byte prefix + message).
    public var body: [UInt8] {
        get { storage.body }
        set { update(rebuildingHead: false) { $0.body = newValue } }
    }
    /// How long the call may take; sent as `grpc-timeout` and enforced locally too.
    public var timeout: Duration? {
        get { storage.timeout }
        set { update(rebuildingHead: true) { $0.timeout = newValue } }
    }
    /// The largest response message accepted (RESOURCE_EXHAUSTED beyond it).
    public var maxResponseMessageSize: Int {
        get { storage.maxResponseMessageSize }
        set { update(rebuildingHead: false) { $0.maxResponseMessageSize = newValue } }
    }
    /// The header block prebuilt for nghttp2, shared by every call (and copy) of this request.
    var head: ClientRequestHead { storage.head }

    private var storage: Storage

    /// Creates a request for one framed message.
    public init(
        path: String, body: [UInt8], metadata: [HTTP2HeaderField] = [], timeout: Duration? = nil,
        maxResponseMessageSize: Int = GRPCFraming.defaultMaxMessageSize
    ) {
        storage = Storage(
            path: path, metadata: metadata, body: body, timeout: timeout,
            maxResponseMessageSize: maxResponseMessageSize)
    }

    private mutating func update(rebuildingHead: Bool, _ change: (Storage) -> Void) {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        change(storage)
        if rebuildingHead { storage.rebuildHead() }
    }

    // @unchecked: mutated only through `update`, while uniquely referenced (copy on write).
    private final class Storage: @unchecked Sendable {
        var path: String
        var metadata: [HTTP2HeaderField]
        var body: [UInt8]
        var timeout: Duration?
        var maxResponseMessageSize: Int
        private(set) var head: ClientRequestHead

        init(
            path: String, metadata: [HTTP2HeaderField], body: [UInt8], timeout: Duration?,
            maxResponseMessageSize: Int, head: ClientRequestHead? = nil
        ) {
            self.path = path
            self.metadata = metadata
            self.body = body
            self.timeout = timeout
            self.maxResponseMessageSize = maxResponseMessageSize
            self.head =
                head
                ?? ClientRequestHead(
                    ClientRequest.headerBlock(path: path, authority: "", metadata: metadata, timeout: timeout))
        }

        func copy() -> Storage {
            Storage(
                path: path, metadata: metadata, body: body, timeout: timeout,
                maxResponseMessageSize: maxResponseMessageSize, head: head)
        }

        func rebuildHead() {
            head = ClientRequestHead(
                ClientRequest.headerBlock(path: path, authority: "", metadata: metadata, timeout: timeout))
        }
    }

    /// The HTTP/2 request header block for this call.
    func headerBlock(authority: String) -> [HTTP2HeaderField] {
        Self.headerBlock(path: path, authority: authority, metadata: metadata, timeout: timeout)
    }

    fileprivate static func headerBlock(
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
