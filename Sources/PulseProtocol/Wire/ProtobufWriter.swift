/// Appends protobuf wire-format values to a byte buffer.
///
/// The `write…(field:_:)` methods follow proto3's implicit presence: a scalar equal to its default
/// (zero, `false`, empty) is not written, exactly as protobuf's own serializers do, so our bytes match
/// theirs when fields are written in field-number order. The `…Always` variants write unconditionally
/// (for `optional` fields and oneof members).
///
/// ```swift
/// var writer = ProtobufWriter()
/// writer.writeString(field: 1, "AAPL")
/// writer.writeMessage(field: 2) { $0.writeDouble(field: 1, 187.5) }
/// let bytes = writer.bytes
/// ```
public struct ProtobufWriter: Sendable {
    /// The encoded bytes so far.
    public internal(set) var bytes: [UInt8]

    /// Creates an empty writer, optionally reserving room for `capacity` bytes.
    public init(capacity: Int = 0) {
        bytes = []
        if capacity > 0 { bytes.reserveCapacity(capacity) }
    }

    /// Continues writing after the contents of `buffer` (for example a gRPC frame header).
    public init(appendingTo buffer: consuming [UInt8]) {
        bytes = buffer
    }

    /// Hands the buffer over without copying it.
    public consuming func finish() -> [UInt8] { bytes }

    /// The number of bytes written so far.
    public var count: Int { bytes.count }

    // MARK: Raw values

    /// Writes `value` as a base-128 varint.
    public mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Writes a field key.
    public mutating func writeTag(field: Int, _ wireType: WireType) {
        writeVarint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    /// Writes four little-endian bytes.
    public mutating func writeFixed32Raw(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Writes eight little-endian bytes.
    public mutating func writeFixed64Raw(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Writes a length prefix and then the raw bytes.
    public mutating func writeLengthDelimitedRaw(_ raw: UnsafeRawBufferPointer) {
        writeVarint(UInt64(raw.count))
        bytes.append(contentsOf: raw)
    }

    /// Zigzag-encodes a signed 32-bit value (sint32).
    public static func zigzag(_ value: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    /// Zigzag-encodes a signed 64-bit value (sint64).
    public static func zigzag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    // MARK: Nested messages

    /// Writes a length-delimited field whose body `body` writes in place.
    ///
    /// The body is written once, directly into the buffer behind a one-byte length placeholder. Bodies
    /// of 128 bytes or more need a longer length, so the body is moved up once by the few extra bytes;
    /// nothing is re-encoded and nothing is copied per nesting level beyond that single move.
    public mutating func writeLengthDelimited(field: Int, _ body: (inout ProtobufWriter) -> Void) {
        writeTag(field: field, .lengthDelimited)
        let lengthAt = bytes.count
        bytes.append(0)
        body(&self)
        patchLength(at: lengthAt)
    }

    /// Writes a nested message field (always, even when the message is empty: message fields have presence).
    public mutating func writeMessage<M: ProtoMessage>(field: Int, _ message: M) {
        writeLengthDelimited(field: field) { message.encode(to: &$0) }
    }

    /// Writes `message` if it is present.
    public mutating func writeMessage<M: ProtoMessage>(field: Int, _ message: M?) {
        if let message { writeMessage(field: field, message) }
    }

    /// Writes every element of a repeated message field.
    public mutating func writeMessages<M: ProtoMessage>(field: Int, _ messages: [M]) {
        for message in messages { writeMessage(field: field, message) }
    }

    /// Replaces the one-byte placeholder at `lengthAt` with the varint length of everything after it.
    mutating func patchLength(at lengthAt: Int) {
        let length = bytes.count - lengthAt - 1
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
            return
        }
        let extra = Self.varintSize(UInt64(length)) - 1
        // Grow by the extra length bytes, move the body up once (memmove), then write the varint.
        bytes.append(contentsOf: repeatElement(0, count: extra))
        bytes.withUnsafeMutableBytes { buffer in
            let base = buffer.baseAddress!
            (base + lengthAt + 1 + extra).copyMemory(from: base + lengthAt + 1, byteCount: length)
            var value = UInt64(length)
            var index = lengthAt
            while value >= 0x80 {
                buffer[index] = UInt8(truncatingIfNeeded: value) | 0x80
                value >>= 7
                index += 1
            }
            buffer[index] = UInt8(value)
        }
    }

    /// The number of bytes `value` takes as a varint.
    public static func varintSize(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }
}
