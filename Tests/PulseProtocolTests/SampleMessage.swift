import PulseProtocol

/// A test-only message that exercises every field kind the codec offers.
struct SampleMessage: ProtoMessage {
    var id: Int32 = 0
    var name: String = ""
    var child: SampleNested? = nil
    var series: [Double] = []
    var delta: Int64 = 0
    var stamps: [Int64] = []
    var flag: Bool = false
    var price: Double = 0
    var tags: [String] = []
    var children: [SampleNested] = []

    init() {}

    func encode(to writer: inout ProtobufWriter) {
        writer.writeInt32(field: 1, id)
        writer.writeString(field: 2, name)
        writer.writeMessage(field: 3, child)
        writer.writePackedDoubles(field: 4, series)
        writer.writeSInt64(field: 5, delta)
        writer.writePackedInt64s(field: 6, stamps)
        writer.writeBool(field: 7, flag)
        writer.writeDouble(field: 8, price)
        writer.writeStrings(field: 9, tags)
        writer.writeMessages(field: 10, children)
    }

    mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
        switch tag.fieldNumber {
        case 1: id = try reader.readInt32(tag)
        case 2: name = try reader.readString(tag)
        case 3: try reader.mergeMessage(tag, into: &child)
        case 4: try reader.appendDoubles(tag, to: &series)
        case 5: delta = try reader.readSInt64(tag)
        case 6: try reader.appendInt64s(tag, to: &stamps)
        case 7: flag = try reader.readBool(tag)
        case 8: price = try reader.readDouble(tag)
        case 9: try reader.appendString(tag, to: &tags)
        case 10: try reader.appendMessage(tag, to: &children)
        default: try reader.skip(tag)
        }
    }
}

/// A recursive message, for nesting limits: `SampleNested { sint32 value = 1; SampleNested inner = 2; bytes blob = 3; }`.
struct SampleNested: ProtoMessage {
    var value: Int32 = 0
    var inner: [SampleNested] = []  // at most one; an array keeps the recursive value type finite
    var blob: [UInt8] = []

    init() {}
    init(value: Int32, inner: SampleNested? = nil, blob: [UInt8] = []) {
        self.value = value
        self.inner = inner.map { [$0] } ?? []
        self.blob = blob
    }

    func encode(to writer: inout ProtobufWriter) {
        writer.writeSInt32(field: 1, value)
        if let first = inner.first { writer.writeMessage(field: 2, first) }
        writer.writeBytes(field: 3, blob)
    }

    mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(ProtocolError) {
        switch tag.fieldNumber {
        case 1: value = try reader.readSInt32(tag)
        case 2:
            var nested = inner.first ?? SampleNested()
            try reader.mergeMessage(tag, into: &nested)
            inner = [nested]
        case 3: blob = try reader.readBytes(tag)
        default: try reader.skip(tag)
        }
    }
}

/// Parses a hex string ("08 96 01") into bytes.
func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

/// Decodes `bytes` as `M`, returning the error (or nil on success).
func decodeError<M: ProtoMessage>(_ type: M.Type, _ bytes: [UInt8]) -> ProtocolError? {
    do {
        _ = try M(serializedBytes: bytes)
        return nil
    } catch {
        return error
    }
}
