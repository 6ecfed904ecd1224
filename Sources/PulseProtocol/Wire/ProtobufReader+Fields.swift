/// Typed field readers. Each checks the wire type against the field's declared type; repeated scalars
/// accept both the packed and the unpacked encoding, as the protobuf spec requires.
extension ProtobufReader {
    // MARK: Varint types

    public mutating func readUInt64(_ tag: FieldTag) throws(ProtocolError) -> UInt64 {
        try expect(tag, .varint)
        return try readVarint()
    }
    public mutating func readUInt32(_ tag: FieldTag) throws(ProtocolError) -> UInt32 {
        UInt32(truncatingIfNeeded: try readUInt64(tag))
    }
    public mutating func readInt64(_ tag: FieldTag) throws(ProtocolError) -> Int64 {
        Int64(bitPattern: try readUInt64(tag))
    }
    /// int32 and enums: protobuf truncates the 64-bit varint to 32 bits.
    public mutating func readInt32(_ tag: FieldTag) throws(ProtocolError) -> Int32 {
        Int32(truncatingIfNeeded: try readUInt64(tag))
    }
    public mutating func readSInt32(_ tag: FieldTag) throws(ProtocolError) -> Int32 {
        let raw = UInt32(truncatingIfNeeded: try readUInt64(tag))
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }
    public mutating func readSInt64(_ tag: FieldTag) throws(ProtocolError) -> Int64 {
        let raw = try readUInt64(tag)
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }
    public mutating func readBool(_ tag: FieldTag) throws(ProtocolError) -> Bool {
        try readUInt64(tag) != 0
    }

    // MARK: Fixed-width types

    public mutating func readDouble(_ tag: FieldTag) throws(ProtocolError) -> Double {
        try expect(tag, .fixed64)
        return Double(bitPattern: try readFixed64Raw())
    }
    public mutating func readFloat(_ tag: FieldTag) throws(ProtocolError) -> Float {
        try expect(tag, .fixed32)
        return Float(bitPattern: try readFixed32Raw())
    }
    public mutating func readFixed64(_ tag: FieldTag) throws(ProtocolError) -> UInt64 {
        try expect(tag, .fixed64)
        return try readFixed64Raw()
    }
    public mutating func readFixed32(_ tag: FieldTag) throws(ProtocolError) -> UInt32 {
        try expect(tag, .fixed32)
        return try readFixed32Raw()
    }
    public mutating func readSFixed64(_ tag: FieldTag) throws(ProtocolError) -> Int64 {
        Int64(bitPattern: try readFixed64(tag))
    }

    // MARK: Length-delimited types

    /// bytes: one copy out of the buffer, no intermediate String.
    public mutating func readBytes(_ tag: FieldTag) throws(ProtocolError) -> [UInt8] {
        try expect(tag, .lengthDelimited)
        return [UInt8](try readLengthDelimitedRaw())
    }

    /// string: must be valid UTF-8, as proto3 requires.
    public mutating func readString(_ tag: FieldTag) throws(ProtocolError) -> String {
        try expect(tag, .lengthDelimited)
        let start = position
        let raw = try readLengthDelimitedRaw()
        if raw.isEmpty { return "" }
        guard let string = String(validating: raw.assumingMemoryBound(to: UInt8.self), as: UTF8.self) else {
            throw ProtocolError(.invalidUTF8, offset: start, fieldNumber: tag.fieldNumber)
        }
        return string
    }

    /// repeated string: appends one element.
    public mutating func appendString(_ tag: FieldTag, to values: inout [String]) throws(ProtocolError) {
        values.append(try readString(tag))
    }

    // MARK: Repeated scalars (packed or not)

    /// repeated double: a packed block is copied into `values` in one move; an unpacked element is appended.
    public mutating func appendDoubles(_ tag: FieldTag, to values: inout [Double]) throws(ProtocolError) {
        if tag.wireType == .fixed64 {
            values.append(Double(bitPattern: try readFixed64Raw()))
            return
        }
        try expect(tag, .lengthDelimited)
        let start = position
        let raw = try readLengthDelimitedRaw()
        guard raw.count % 8 == 0 else {
            throw ProtocolError(.invalidPackedLength, offset: start, fieldNumber: tag.fieldNumber)
        }
        let count = raw.count / 8
        guard count > 0 else { return }
        #if _endian(little)
            let oldCount = values.count
            if oldCount == 0 {
                values = [Double](unsafeUninitializedCapacity: count) { destination, initialized in
                    UnsafeMutableRawBufferPointer(destination).copyMemory(from: raw)
                    initialized = count
                }
            } else {
                values.append(contentsOf: repeatElement(0, count: count))
                values.withUnsafeMutableBytes { destination in
                    UnsafeMutableRawBufferPointer(rebasing: destination[(oldCount * 8)...]).copyMemory(from: raw)
                }
            }
        #else
            values.reserveCapacity(values.count + count)
            for i in 0..<count {
                values.append(
                    Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
            }
        #endif
    }

    /// repeated int64 / uint64 / int32 / enum (any varint type): packed or unpacked, raw 64-bit values.
    public mutating func appendVarints(_ tag: FieldTag, _ append: (UInt64) -> Void) throws(ProtocolError) {
        if tag.wireType == .varint {
            append(try readVarint())
            return
        }
        try expect(tag, .lengthDelimited)
        let length = try readLength()
        let outerEnd = end
        end = position + length
        while position < end { append(try readVarint()) }
        end = outerEnd
    }

    /// repeated int64.
    public mutating func appendInt64s(_ tag: FieldTag, to values: inout [Int64]) throws(ProtocolError) {
        try appendVarints(tag) { values.append(Int64(bitPattern: $0)) }
    }

    /// repeated uint64.
    public mutating func appendUInt64s(_ tag: FieldTag, to values: inout [UInt64]) throws(ProtocolError) {
        try appendVarints(tag) { values.append($0) }
    }
}
