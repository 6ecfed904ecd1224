/// The messages, enums and methods of a set of `.proto` files, read at run time.
///
/// Names are fully qualified without a leading dot (`pulse.v1.EchoRequest`); methods are keyed by their
/// gRPC path (`/pulse.v1.Diagnostics/Echo`).
public struct ProtoSchema: Sendable {
    public var messages: [String: MessageDescriptor] = [:]
    public var enums: [String: EnumDescriptor] = [:]
    public var methods: [String: MethodDescriptor] = [:]

    public init() {}

    /// The message called `name` (fully qualified, with or without a leading dot).
    public func message(_ name: String) throws(SchemaError) -> MessageDescriptor {
        let key = name.hasPrefix(".") ? String(name.dropFirst()) : name
        guard let message = messages[key] else { throw SchemaError("unknown message type \(name)") }
        return message
    }

    /// The method with gRPC path `path`, e.g. `/pulse.v1.Diagnostics/Echo`.
    public func method(_ path: String) throws(SchemaError) -> MethodDescriptor {
        guard let method = methods[path] else {
            let known = methods.keys.sorted().prefix(40).joined(separator: ", ")
            throw SchemaError("unknown method \(path) (known: \(known))")
        }
        return method
    }
}

/// A message type: its fields in field-number order.
public struct MessageDescriptor: Sendable {
    public var fullName: String
    public var fields: [FieldDescriptor]
    /// True for the synthetic entry type of a `map<K, V>` field.
    public var isMapEntry = false

    /// The field named `name` in the `.proto` or in lowerCamelCase JSON form.
    public func field(named name: String) -> FieldDescriptor? {
        fields.first { $0.name == name } ?? fields.first { $0.jsonName == name }
    }

    /// The field with `number`.
    public func field(number: Int) -> FieldDescriptor? {
        fields.first { $0.number == number }
    }
}

/// One field of a message.
public struct FieldDescriptor: Sendable {
    public enum Label: Sendable { case singular, optional, repeated }

    public var name: String
    public var jsonName: String
    public var number: Int
    public var type: FieldType
    public var label: Label
    /// The oneof this field belongs to (proto3 `optional` fields are not counted as oneofs here).
    public var oneof: String?
    /// Whether a repeated scalar is written packed.
    public var packed: Bool

    /// True when the field is written whenever it is set, even to its default (oneof members,
    /// `optional`, messages); false for proto3 implicit presence.
    public var hasPresence: Bool {
        if case .message = type { return true }
        return label == .optional || oneof != nil
    }
}

/// The type of a field, with message and enum types fully qualified.
public indirect enum FieldType: Sendable, Equatable {
    case double, float, int64, uint64, int32, fixed64, fixed32, bool, string, bytes, uint32
    case sfixed32, sfixed64, sint32, sint64
    case message(String)
    case enumeration(String)

    /// The scalar type for a `.proto` keyword, nil for a named type.
    static func scalar(_ keyword: String) -> FieldType? {
        switch keyword {
        case "double": return .double
        case "float": return .float
        case "int64": return .int64
        case "uint64": return .uint64
        case "int32": return .int32
        case "fixed64": return .fixed64
        case "fixed32": return .fixed32
        case "bool": return .bool
        case "string": return .string
        case "bytes": return .bytes
        case "uint32": return .uint32
        case "sfixed32": return .sfixed32
        case "sfixed64": return .sfixed64
        case "sint32": return .sint32
        case "sint64": return .sint64
        default: return nil
        }
    }

    /// Whether repeated values of this type can be packed (every scalar but strings and bytes).
    var isPackable: Bool {
        switch self {
        case .string, .bytes, .message: return false
        default: return true
        }
    }
}

/// An enum type: value names and numbers.
public struct EnumDescriptor: Sendable {
    public var fullName: String
    public var values: [(name: String, number: Int32)]

    public func number(named name: String) -> Int32? {
        values.first { $0.name == name }?.number
    }
}

/// An RPC method: its request and response types and whether the server streams.
public struct MethodDescriptor: Sendable {
    public var path: String
    public var inputType: String
    public var outputType: String
    public var clientStreaming: Bool
    public var serverStreaming: Bool
}

/// A `.proto` file that does not parse, a type that is not defined, or a request that does not fit.
public struct SchemaError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// protoc's JSON name for a field: underscores removed, the letter after each one upper-cased.
func protoJSONName(_ name: String) -> String {
    var result = ""
    var upperNext = false
    for character in name {
        if character == "_" {
            upperNext = true
        } else if upperNext {
            result += character.uppercased()
            upperNext = false
        } else {
            result.append(character)
        }
    }
    return result
}
