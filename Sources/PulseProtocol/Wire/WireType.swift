/// The protobuf wire types (the low three bits of a tag).
public enum WireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// A decoded field key: field number and wire type.
public struct FieldTag: Hashable, Sendable {
    /// The field number, in 1...2^29-1.
    public let fieldNumber: Int
    /// How the value that follows is encoded.
    public let wireType: WireType

    public init(fieldNumber: Int, wireType: WireType) {
        self.fieldNumber = fieldNumber
        self.wireType = wireType
    }

    /// The largest field number protobuf allows.
    public static let maxFieldNumber = (1 << 29) - 1
}
