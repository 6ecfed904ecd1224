/// Why a protobuf body could not be decoded.
///
/// Every malformed input maps to one of these codes: truncated or overlong varints, lengths beyond the
/// buffer, wire types that do not exist or do not match the field, nesting deeper than the limit, and
/// strings that are not UTF-8. The decoder never traps on any input.
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of malformation, as an opaque, extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case truncated, overlongVarint, invalidWireType, wireTypeMismatch, invalidFieldNumber
            case lengthOutOfBounds, nestingTooDeep, invalidUTF8, groupsUnsupported, invalidPackedLength
        }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The input ended in the middle of a value.
        public static let truncated = Code(.truncated)
        /// A varint ran past 10 bytes or past 64 bits.
        public static let overlongVarint = Code(.overlongVarint)
        /// A tag carried wire type 6 or 7, which protobuf does not define.
        public static let invalidWireType = Code(.invalidWireType)
        /// A known field arrived with a wire type its declared type cannot have.
        public static let wireTypeMismatch = Code(.wireTypeMismatch)
        /// A tag carried field number 0 or one above 2^29 - 1.
        public static let invalidFieldNumber = Code(.invalidFieldNumber)
        /// A length prefix points past the end of the enclosing message.
        public static let lengthOutOfBounds = Code(.lengthOutOfBounds)
        /// Nested messages went deeper than the reader's limit.
        public static let nestingTooDeep = Code(.nestingTooDeep)
        /// A `string` field was not valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A proto2 group (wire types 3 and 4) appeared; proto3 has none and we refuse them.
        public static let groupsUnsupported = Code(.groupsUnsupported)
        /// A packed fixed-width field's length is not a multiple of the element size.
        public static let invalidPackedLength = Code(.invalidPackedLength)

        public var description: String {
            switch wrapped {
            case .truncated: return "truncated"
            case .overlongVarint: return "overlong varint"
            case .invalidWireType: return "invalid wire type"
            case .wireTypeMismatch: return "wire type mismatch"
            case .invalidFieldNumber: return "invalid field number"
            case .lengthOutOfBounds: return "length out of bounds"
            case .nestingTooDeep: return "nesting too deep"
            case .invalidUTF8: return "invalid UTF-8"
            case .groupsUnsupported: return "groups unsupported"
            case .invalidPackedLength: return "invalid packed length"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// The byte offset in the decoded buffer where the problem was found.
    public var offset: Int
    /// The field being decoded, when known (0 otherwise).
    public var fieldNumber: Int

    public init(_ code: Code, offset: Int, fieldNumber: Int = 0) {
        self.code = code
        self.offset = offset
        self.fieldNumber = fieldNumber
    }

    public var description: String {
        let field = fieldNumber == 0 ? "" : " (field \(fieldNumber))"
        return "malformed protobuf: \(code) at byte \(offset)\(field)"
    }
}
