/// A message with a hand-written protobuf codec.
///
/// A conforming type writes its fields in field-number order in `encode(to:)` (so its bytes match
/// protobuf's own serializers) and handles one field at a time in `decodeField(_:from:)`, skipping the
/// ones it does not know with `reader.skip(tag)`.
///
/// Unknown fields are skipped, not kept: re-encoding a message from a newer peer drops what this build does
/// not know. Equality is field by field with Swift's `==`, so a message holding a NaN is not equal to itself;
/// compare encodings when NaN matters.
///
/// ```swift
/// let bytes = EchoRequest(payload: [1, 2, 3]).serializedBytes()
/// let echoed = try EchoRequest(serializedBytes: bytes)
/// ```
public protocol ProtoMessage: Sendable, Equatable {
    /// A message with every field at its default.
    init()
    /// Appends the message's fields (not a length prefix) to `writer`.
    func encode(to writer: inout ProtobufWriter)
    /// Decodes the value of one field whose tag has just been read; unknown fields must be skipped.
    mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError)
}

extension ProtoMessage {
    /// Decodes fields until the end of the reader's current message, merging into `self`.
    public mutating func merge(from reader: inout ProtobufReader) throws(ProtocolError) {
        while let tag = try reader.nextTag() {
            try decodeField(tag, from: &reader)
        }
    }

    /// Decodes a message from the rest of the reader's current message.
    public init(decoding reader: inout ProtobufReader) throws(ProtocolError) {
        self.init()
        try merge(from: &reader)
    }

    /// Decodes a message from a borrowed buffer.
    public init(serializedBytes buffer: UnsafeRawBufferPointer) throws(ProtocolError) {
        var reader = ProtobufReader(buffer)
        try self.init(decoding: &reader)
    }

    /// Decodes a message from bytes.
    public init(serializedBytes bytes: [UInt8]) throws(ProtocolError) {
        // A non-throwing closure plus an error slot: generic `Result` plumbing here cost more than the decode.
        var message = Self()
        var failure: ProtocolError? = nil
        bytes.withUnsafeBytes { buffer in
            var reader = ProtobufReader(buffer)
            do throws(ProtocolError) { try message.merge(from: &reader) } catch { failure = error }
        }
        if let failure { throw failure }
        self = message
    }

    /// Decodes a message from a slice of bytes (for example a gRPC frame's body).
    public init(serializedBytes bytes: ArraySlice<UInt8>) throws(ProtocolError) {
        var message = Self()
        var failure: ProtocolError? = nil
        bytes.withUnsafeBytes { buffer in
            var reader = ProtobufReader(buffer)
            do throws(ProtocolError) { try message.merge(from: &reader) } catch { failure = error }
        }
        if let failure { throw failure }
        self = message
    }

    /// The message's protobuf encoding.
    public func serializedBytes() -> [UInt8] {
        var writer = ProtobufWriter(capacity: 128)
        encode(to: &writer)
        return writer.finish()
    }
}
