import PulseRPC

/// Per-call settings.
public struct CallOptions: Sendable {
    /// The call's deadline, counted from its start: sent as `grpc-timeout` and enforced by the client.
    public var timeout: Duration?
    /// Custom metadata sent with the request. Names must be lower-case; values of names ending in
    /// `-bin` are bytes and are base64-encoded for you.
    public var metadata: [(name: String, value: [UInt8])]
    /// The largest response message accepted; larger ones fail with RESOURCE_EXHAUSTED.
    public var maxResponseMessageSize: Int

    /// Creates options; the defaults are no deadline, no metadata and a 4 MiB message limit.
    public init(
        timeout: Duration? = nil, metadata: [(name: String, value: [UInt8])] = [],
        maxResponseMessageSize: Int = 4 * 1024 * 1024
    ) {
        self.timeout = timeout
        self.metadata = metadata
        self.maxResponseMessageSize = maxResponseMessageSize
    }
}
