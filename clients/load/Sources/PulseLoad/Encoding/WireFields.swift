/// Walks the fields of one encoded message: numbers with their varint value or their bytes.
struct WireFields {
    enum Value {
        case varint(UInt64)
        case fixed(UInt64)
        case bytes(ArraySlice<UInt8>)
    }

    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    private mutating func varint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.endIndex, shift < 64 {
            let byte = bytes[index]
            index += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        return nil
    }

    private mutating func fixed(_ count: Int) -> UInt64? {
        guard bytes.endIndex - index >= count else { return nil }
        var result: UInt64 = 0
        for offset in 0..<count { result |= UInt64(bytes[index + offset]) << UInt64(8 * offset) }
        index += count
        return result
    }

    /// The next field, nil at the end; throws on malformed input.
    mutating func next() throws(SchemaError) -> (number: Int, value: Value)? {
        guard index < bytes.endIndex else { return nil }
        guard let tag = varint() else { throw SchemaError("truncated tag") }
        let number = Int(tag >> 3)
        switch tag & 7 {
        case 0:
            guard let value = varint() else { throw SchemaError("truncated varint") }
            return (number, .varint(value))
        case 1:
            guard let value = fixed(8) else { throw SchemaError("truncated fixed64") }
            return (number, .fixed(value))
        case 5:
            guard let value = fixed(4) else { throw SchemaError("truncated fixed32") }
            return (number, .fixed(value))
        case 2:
            guard let length = varint(), UInt64(bytes.endIndex - index) >= length else {
                throw SchemaError("truncated length-delimited field")
            }
            let slice = bytes[index..<(index + Int(length))]
            index += Int(length)
            return (number, .bytes(slice))
        default:
            throw SchemaError("unsupported wire type \(tag & 7)")
        }
    }
}
