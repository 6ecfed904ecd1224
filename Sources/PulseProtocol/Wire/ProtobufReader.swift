/// Reads protobuf wire-format values from a byte buffer, defensively.
///
/// Every read is bounded by the end of the enclosing message; lengths are checked against what is left
/// before anything is copied, varints are limited to 10 bytes, nesting is limited to `maxDepth`, and
/// every malformation is a thrown ``ProtocolError``: no input makes the reader trap, hang or allocate more
/// than the input's size.
///
/// The reader borrows its buffer: use it inside `withUnsafeBytes`, or through the
/// ``ProtoMessage`` conveniences (`init(serializedBytes:)`) that do that for you.
public struct ProtobufReader {
    /// The default bound on message nesting.
    public static let defaultMaxDepth = 64

    let buffer: UnsafeRawBufferPointer
    /// The offset of the next unread byte.
    public private(set) var position: Int
    /// The end of the message being read (the whole buffer at top level, a sub-range inside nested messages).
    var end: Int
    var depth = 0
    /// How deep nested messages may go.
    public let maxDepth: Int

    /// Creates a reader over `buffer`, which must outlive the reader.
    public init(_ buffer: UnsafeRawBufferPointer, maxDepth: Int = ProtobufReader.defaultMaxDepth) {
        self.buffer = buffer
        self.position = 0
        self.end = buffer.count
        self.maxDepth = maxDepth
    }

    /// Whether the current message has been read to its end.
    public var isAtEnd: Bool { position >= end }

    func error(_ code: ProtocolError.Code, field: Int = 0) -> ProtocolError {
        ProtocolError(code, offset: position, fieldNumber: field)
    }

    // MARK: Raw values

    /// Reads a base-128 varint of at most 10 bytes.
    public mutating func readVarint() throws(ProtocolError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = position
        while true {
            guard index < end else { throw error(.truncated) }
            let byte = buffer[index]
            index += 1
            // The tenth byte may only carry bit 63.
            if shift == 63 && byte > 1 { throw error(.overlongVarint) }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                position = index
                return result
            }
            shift += 7
        }
    }

    /// Reads four little-endian bytes.
    public mutating func readFixed32Raw() throws(ProtocolError) -> UInt32 {
        guard end - position >= 4 else { throw error(.truncated) }
        let value = buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return UInt32(littleEndian: value)
    }

    /// Reads eight little-endian bytes.
    public mutating func readFixed64Raw() throws(ProtocolError) -> UInt64 {
        guard end - position >= 8 else { throw error(.truncated) }
        let value = buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: value)
    }

    /// Reads a length prefix and checks that many bytes remain in the current message.
    public mutating func readLength() throws(ProtocolError) -> Int {
        let length = try readVarint()
        guard length <= UInt64(end - position) else { throw error(.lengthOutOfBounds) }
        return Int(length)
    }

    /// Reads a length-delimited value and returns its bytes as a view into the buffer.
    public mutating func readLengthDelimitedRaw() throws(ProtocolError) -> UnsafeRawBufferPointer {
        let length = try readLength()
        let start = position
        position += length
        return UnsafeRawBufferPointer(rebasing: buffer[start..<start + length])
    }

    // MARK: Tags and skipping

    /// Reads the next field key, or returns nil at the end of the current message.
    public mutating func nextTag() throws(ProtocolError) -> FieldTag? {
        guard position < end else { return nil }
        let key = try readVarint()
        guard key <= UInt64(UInt32.max) else { throw error(.invalidFieldNumber) }
        let fieldNumber = Int(key >> 3)
        guard fieldNumber >= 1, fieldNumber <= FieldTag.maxFieldNumber else {
            throw error(.invalidFieldNumber, field: fieldNumber)
        }
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw error(.invalidWireType, field: fieldNumber)
        }
        return FieldTag(fieldNumber: fieldNumber, wireType: wireType)
    }

    /// Skips the value of a field this message does not know (forward compatibility).
    public mutating func skip(_ tag: FieldTag) throws(ProtocolError) {
        switch tag.wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64Raw()
        case .fixed32: _ = try readFixed32Raw()
        case .lengthDelimited: position += try readLength()
        case .startGroup, .endGroup: throw error(.groupsUnsupported, field: tag.fieldNumber)
        }
    }

    /// Throws unless `tag` has the wire type `expected`.
    public func expect(_ tag: FieldTag, _ expected: WireType) throws(ProtocolError) {
        guard tag.wireType == expected else { throw error(.wireTypeMismatch, field: tag.fieldNumber) }
    }

    // MARK: Nested messages

    /// Decodes a nested message field into `message`, merging as protobuf does when a field repeats.
    public mutating func mergeMessage<M: ProtoMessage>(_ tag: FieldTag, into message: inout M) throws(ProtocolError) {
        try expect(tag, .lengthDelimited)
        let length = try readLength()
        guard depth < maxDepth else { throw error(.nestingTooDeep, field: tag.fieldNumber) }
        let outerEnd = end
        end = position + length
        depth += 1
        try message.merge(from: &self)
        depth -= 1
        end = outerEnd
    }

    /// Decodes a nested message field into an optional, creating it when absent.
    public mutating func mergeMessage<M: ProtoMessage>(_ tag: FieldTag, into message: inout M?) throws(ProtocolError) {
        var value = message ?? M()
        try mergeMessage(tag, into: &value)
        message = value
    }

    /// Decodes one element of a repeated message field and appends it.
    public mutating func appendMessage<M: ProtoMessage>(_ tag: FieldTag, to messages: inout [M]) throws(ProtocolError) {
        var value = M()
        try mergeMessage(tag, into: &value)
        messages.append(value)
    }
}
