/// Field writers for every proto3 scalar type. A value equal to its default is skipped (implicit presence);
/// the `…Always` forms write it anyway, for `optional` fields and oneof members.
extension ProtobufWriter {
    // MARK: Varint types

    public mutating func writeUInt64Always(field: Int, _ value: UInt64) {
        writeTag(field: field, .varint)
        writeVarint(value)
    }
    public mutating func writeUInt64(field: Int, _ value: UInt64) {
        if value != 0 { writeUInt64Always(field: field, value) }
    }
    public mutating func writeUInt32(field: Int, _ value: UInt32) {
        if value != 0 { writeUInt64Always(field: field, UInt64(value)) }
    }
    public mutating func writeUInt32Always(field: Int, _ value: UInt32) {
        writeUInt64Always(field: field, UInt64(value))
    }
    /// int64: two's complement, so negative values take ten bytes.
    public mutating func writeInt64(field: Int, _ value: Int64) {
        if value != 0 { writeUInt64Always(field: field, UInt64(bitPattern: value)) }
    }
    public mutating func writeInt64Always(field: Int, _ value: Int64) {
        writeUInt64Always(field: field, UInt64(bitPattern: value))
    }
    /// int32 (and enums): sign-extended to 64 bits, as protobuf requires, so negative values take ten bytes.
    public mutating func writeInt32(field: Int, _ value: Int32) {
        if value != 0 { writeUInt64Always(field: field, UInt64(bitPattern: Int64(value))) }
    }
    public mutating func writeInt32Always(field: Int, _ value: Int32) {
        writeUInt64Always(field: field, UInt64(bitPattern: Int64(value)))
    }
    public mutating func writeSInt32(field: Int, _ value: Int32) {
        if value != 0 { writeUInt64Always(field: field, Self.zigzag(value)) }
    }
    public mutating func writeSInt64(field: Int, _ value: Int64) {
        if value != 0 { writeUInt64Always(field: field, Self.zigzag(value)) }
    }
    public mutating func writeBool(field: Int, _ value: Bool) {
        if value { writeUInt64Always(field: field, 1) }
    }
    public mutating func writeBoolAlways(field: Int, _ value: Bool) {
        writeUInt64Always(field: field, value ? 1 : 0)
    }

    // MARK: Fixed-width types

    /// double: written unless its bit pattern is zero (so -0.0 and NaN are written, as protobuf does).
    public mutating func writeDouble(field: Int, _ value: Double) {
        if value.bitPattern != 0 { writeDoubleAlways(field: field, value) }
    }
    public mutating func writeDoubleAlways(field: Int, _ value: Double) {
        writeTag(field: field, .fixed64)
        writeFixed64Raw(value.bitPattern)
    }
    public mutating func writeFloat(field: Int, _ value: Float) {
        if value.bitPattern != 0 {
            writeTag(field: field, .fixed32)
            writeFixed32Raw(value.bitPattern)
        }
    }
    public mutating func writeFixed64(field: Int, _ value: UInt64) {
        if value != 0 {
            writeTag(field: field, .fixed64)
            writeFixed64Raw(value)
        }
    }
    public mutating func writeFixed32(field: Int, _ value: UInt32) {
        if value != 0 {
            writeTag(field: field, .fixed32)
            writeFixed32Raw(value)
        }
    }
    public mutating func writeSFixed64(field: Int, _ value: Int64) {
        writeFixed64(field: field, UInt64(bitPattern: value))
    }

    // MARK: Length-delimited types

    public mutating func writeBytes(field: Int, _ value: [UInt8]) {
        if !value.isEmpty { writeBytesAlways(field: field, value) }
    }
    public mutating func writeBytesAlways(field: Int, _ value: [UInt8]) {
        writeTag(field: field, .lengthDelimited)
        value.withUnsafeBytes { writeLengthDelimitedRaw($0) }
    }
    public mutating func writeString(field: Int, _ value: String) {
        if !value.isEmpty { writeStringAlways(field: field, value) }
    }
    public mutating func writeStringAlways(field: Int, _ value: String) {
        writeTag(field: field, .lengthDelimited)
        var value = value
        value.withUTF8 { writeLengthDelimitedRaw(UnsafeRawBufferPointer($0)) }
    }
    /// repeated string: one field per element (strings are never packed).
    public mutating func writeStrings(field: Int, _ values: [String]) {
        for value in values { writeStringAlways(field: field, value) }
    }

    // MARK: Packed repeated scalars

    /// repeated double, packed: the whole series is copied as one little-endian block.
    public mutating func writePackedDoubles(field: Int, _ values: [Double]) {
        guard !values.isEmpty else { return }
        writeTag(field: field, .lengthDelimited)
        writeVarint(UInt64(values.count * 8))
        #if _endian(little)
            values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
            for value in values { writeFixed64Raw(value.bitPattern) }
        #endif
    }

    /// repeated int64, packed (each element a two's-complement varint).
    public mutating func writePackedInt64s(field: Int, _ values: [Int64]) {
        guard !values.isEmpty else { return }
        writeLengthDelimited(field: field) { writer in
            for value in values { writer.writeVarint(UInt64(bitPattern: value)) }
        }
    }

    /// repeated uint64, packed.
    public mutating func writePackedUInt64s(field: Int, _ values: [UInt64]) {
        guard !values.isEmpty else { return }
        writeLengthDelimited(field: field) { writer in
            for value in values { writer.writeVarint(value) }
        }
    }
}
