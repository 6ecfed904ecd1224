/// Reassembles gRPC length-prefixed messages from bytes that arrive split at any boundary.
///
/// Feed each DATA payload to ``append(_:)`` and then call ``next()`` until it returns nil. The declared
/// length is checked against ``maxMessageSize`` as soon as the 5-byte prefix is complete, before any of
/// the body is buffered, so a peer announcing a 4 GiB message costs nothing. As long as ``next()`` is
/// drained after each `append`, the buffer never holds more than one message plus the bytes of one `append`.
///
/// ```swift
/// var deframer = GRPCMessageDeframer()
/// deframer.append(chunk)
/// while let body = try deframer.next() { handle(try EchoRequest(serializedBytes: body)) }
/// ```
public struct GRPCMessageDeframer: Sendable {
    /// The largest message body accepted; larger declared lengths fail with RESOURCE_EXHAUSTED.
    public let maxMessageSize: Int
    /// The `grpc-encoding` negotiated for this stream, or nil for none (identity).
    public let messageEncoding: String?

    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// The most buffer capacity kept between messages.
    private static let retainedCapacity = 64 * 1024

    /// Creates a deframer.
    /// - Parameters:
    ///   - maxMessageSize: the largest body accepted (default 4 MiB).
    ///   - messageEncoding: the stream's `grpc-encoding`, if one was sent. This library decompresses
    ///     nothing, so a compressed message under a named encoding is UNIMPLEMENTED; a compressed
    ///     message with no encoding at all is a protocol violation, INTERNAL.
    public init(maxMessageSize: Int = GRPCFraming.defaultMaxMessageSize, messageEncoding: String? = nil) {
        self.maxMessageSize = maxMessageSize
        let encoding = messageEncoding.flatMap { $0 == "identity" || $0.isEmpty ? nil : $0 }
        self.messageEncoding = encoding
    }

    /// Bytes received but not yet returned as messages.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether a partial message is pending (a stream ending now would be truncated).
    public var hasPartialMessage: Bool { bufferedByteCount > 0 }

    /// Adds received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfNeeded()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes. When nothing is pending the array is adopted rather than copied.
    public mutating func append(_ bytes: [UInt8]) {
        if readIndex == buffer.count {
            buffer = bytes
            readIndex = 0
            return
        }
        compactIfNeeded()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        let copied: Void? = bytes.withContiguousStorageIfAvailable { append(UnsafeRawBufferPointer($0)) }
        if copied == nil {
            compactIfNeeded()
            buffer.append(contentsOf: bytes)
        }
    }

    /// Returns the next complete message body, or nil when more bytes are needed.
    /// - Throws: ``GRPCStatus`` with RESOURCE_EXHAUSTED for a message over the limit, INTERNAL for a
    ///   compressed flag without an encoding or an undefined flag value, UNIMPLEMENTED for a compressed
    ///   message in an encoding this library cannot decompress.
    public mutating func next() throws(GRPCStatus) -> [UInt8]? {
        let available = buffer.count - readIndex
        guard available >= GRPCFraming.prefixSize else { return nil }
        let flag = buffer[readIndex]
        var declared = 0
        for i in 1...4 { declared = declared << 8 | Int(buffer[readIndex + i]) }
        switch flag {
        case 0: break
        case 1:
            guard let encoding = messageEncoding else {
                throw GRPCStatus(.internal, "compressed message received but no grpc-encoding was sent")
            }
            throw GRPCStatus(.unimplemented, "message compressed with unsupported grpc-encoding \(encoding)")
        default:
            throw GRPCStatus(.internal, "invalid gRPC message flag \(flag)")
        }
        guard declared <= maxMessageSize else {
            throw GRPCStatus(
                .resourceExhausted, "message of \(declared) bytes exceeds the limit of \(maxMessageSize) bytes")
        }
        guard available >= GRPCFraming.prefixSize + declared else { return nil }
        let bodyStart = readIndex + GRPCFraming.prefixSize
        let bodyEnd = bodyStart + declared
        if readIndex == 0 && bodyEnd == buffer.count && declared > 0 {
            // The common unary case: the buffer holds exactly one message; hand it over and drop the prefix
            // with a single in-place move instead of copying into a new array.
            var body = buffer
            buffer = []
            body.removeFirst(GRPCFraming.prefixSize)
            return body
        }
        let body = Array(buffer[bodyStart..<bodyEnd])
        readIndex = bodyEnd
        if readIndex == buffer.count {
            // Keep a small buffer for the next messages, but do not pin the memory of a large one.
            buffer.removeAll(keepingCapacity: buffer.capacity <= Self.retainedCapacity)
            readIndex = 0
        }
        return body
    }

    /// Drops consumed bytes once they make up most of the buffer, so appends stay amortised O(1).
    private mutating func compactIfNeeded() {
        guard readIndex > 0, readIndex * 2 >= buffer.count else { return }
        buffer.removeFirst(readIndex)
        readIndex = 0
    }
}
