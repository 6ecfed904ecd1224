/// gRPC's length-prefixed message framing: 1 byte compressed flag, 4 bytes big-endian length, then the body.
public enum GRPCFraming {
    /// The size of the prefix before each message.
    public static let prefixSize = 5

    /// The default limit on one message's size (4 MiB), as in gRPC's reference implementations.
    public static let defaultMaxMessageSize = 4 * 1024 * 1024

    /// Encodes `message` with its prefix in one buffer: the body is written once, then the length patched in.
    /// `capacity` is the first allocation's size; larger messages grow the buffer geometrically.
    public static func frame<M: ProtoMessage>(_ message: M, capacity: Int = 256) -> [UInt8] {
        var writer = ProtobufWriter(capacity: capacity + prefixSize)
        for _ in 0..<prefixSize { writer.bytes.append(0) }
        message.encode(to: &writer)
        var buffer = writer.finish()
        writeLength(buffer.count - prefixSize, into: &buffer, at: 1)
        return buffer
    }

    /// Appends `message` with its prefix to `buffer` (for example after earlier messages of a stream).
    public static func append<M: ProtoMessage>(_ message: M, to buffer: inout [UInt8]) {
        let start = buffer.count
        for _ in 0..<prefixSize { buffer.append(0) }
        var writer = ProtobufWriter(appendingTo: buffer)
        buffer = []  // the writer holds the only reference now, so appends do not copy
        message.encode(to: &writer)
        buffer = writer.finish()
        writeLength(buffer.count - start - prefixSize, into: &buffer, at: start + 1)
    }

    /// Frames an already encoded body.
    public static func frame(body: some Collection<UInt8>, compressed: Bool = false) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(body.count + prefixSize)
        buffer.append(compressed ? 1 : 0)
        for _ in 0..<4 { buffer.append(0) }
        writeLength(body.count, into: &buffer, at: 1)
        buffer.append(contentsOf: body)
        return buffer
    }

    static func writeLength(_ length: Int, into buffer: inout [UInt8], at index: Int) {
        let value = UInt32(truncatingIfNeeded: length)
        buffer[index] = UInt8(truncatingIfNeeded: value >> 24)
        buffer[index + 1] = UInt8(truncatingIfNeeded: value >> 16)
        buffer[index + 2] = UInt8(truncatingIfNeeded: value >> 8)
        buffer[index + 3] = UInt8(truncatingIfNeeded: value)
    }
}
