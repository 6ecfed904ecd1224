/// A proto3 enum. Proto3 enums are open: a value this build does not name is kept as its number and
/// survives a decode/encode round trip, so conforming types are structs over `Int32`, not Swift enums.
public protocol ProtoEnum: RawRepresentable, Hashable, Sendable where RawValue == Int32 {
    init(rawValue: Int32)
}

extension ProtobufWriter {
    /// Writes an enum field (skipped when it is the zero value).
    public mutating func writeEnum<E: ProtoEnum>(field: Int, _ value: E) {
        writeInt32(field: field, value.rawValue)
    }
}

extension ProtobufReader {
    /// Reads an enum field, keeping unknown values.
    public mutating func readEnum<E: ProtoEnum>(_ tag: FieldTag, as type: E.Type = E.self) throws(ProtocolError) -> E {
        E(rawValue: try readInt32(tag))
    }
}
