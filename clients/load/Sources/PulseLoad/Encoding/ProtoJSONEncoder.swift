/// Encodes protobuf's JSON form of a message (proto3 JSON mapping) to wire bytes, using a schema read
/// at run time.
///
/// Field names may be the `.proto` names or their lowerCamelCase JSON names; bytes are base64 (standard
/// or URL-safe, padded or not); enums are names or numbers; 64-bit integers are strings or numbers;
/// floats accept `"NaN"`, `"Infinity"`, `"-Infinity"`; `null` leaves a field unset. The output is what
/// protobuf's own serializers write: fields in number order, proto3 defaults skipped (except for fields
/// with presence), repeated scalars packed.
///
/// ```swift
/// let schema = try ProtoSchema.load(directory: "Protocol")
/// let bytes = try ProtoJSONEncoder(schema: schema).encode(#"{"payload":"cGluZw=="}"#, as: "pulse.v1.EchoRequest")
/// ```
public struct ProtoJSONEncoder: Sendable {
    public let schema: ProtoSchema

    public init(schema: ProtoSchema) { self.schema = schema }

    /// Encodes JSON text as a message of type `typeName`.
    public func encode(_ json: String, as typeName: String) throws(SchemaError) -> [UInt8] {
        let value: JSONValue
        do {
            value = try JSONParser.parse(json)
        } catch {
            throw SchemaError(error.message)
        }
        return try encode(value, as: typeName)
    }

    /// Encodes a parsed JSON object as a message of type `typeName`.
    public func encode(_ value: JSONValue, as typeName: String) throws(SchemaError) -> [UInt8] {
        try encodeMessage(
            value, try schema.message(typeName), path: typeName.split(separator: ".").last.map(String.init) ?? "")
    }

    private func encodeMessage(_ value: JSONValue, _ message: MessageDescriptor, path: String) throws(SchemaError)
        -> [UInt8]
    {
        guard case .object(let members) = value else {
            throw SchemaError("\(path): expected an object for \(message.fullName), got \(value.kindName)")
        }
        var assigned: [(FieldDescriptor, JSONValue)] = []
        var oneofsSet: [String: String] = [:]
        for (key, member) in members {
            guard let field = message.field(named: key) else {
                let names = message.fields.map(\.jsonName).joined(separator: ", ")
                throw SchemaError("\(path): \(message.fullName) has no field \"\(key)\" (fields: \(names))")
            }
            if case .null = member { continue }
            if assigned.contains(where: { $0.0.number == field.number }) {
                throw SchemaError("\(path).\(field.jsonName) is given twice")
            }
            if let oneof = field.oneof {
                if let other = oneofsSet[oneof] {
                    throw SchemaError("\(path): \(other) and \(field.name) are in the same oneof \(oneof)")
                }
                oneofsSet[oneof] = field.name
            }
            assigned.append((field, member))
        }
        assigned.sort { $0.0.number < $1.0.number }
        var writer = WireWriter()
        for (field, member) in assigned {
            let fieldPath = "\(path).\(field.jsonName)"
            if field.label == .repeated {
                try encodeRepeated(member, field, path: fieldPath, into: &writer)
            } else {
                try encodeSingle(member, field, path: fieldPath, skipDefault: !field.hasPresence, into: &writer)
            }
        }
        return writer.bytes
    }

    private func encodeRepeated(
        _ value: JSONValue, _ field: FieldDescriptor, path: String, into writer: inout WireWriter
    )
        throws(SchemaError)
    {
        if case .message(let typeName) = field.type, let entry = schema.messages[typeName], entry.isMapEntry {
            guard case .object(let members) = value else { throw SchemaError("\(path): expected an object (a map)") }
            for (key, element) in members {
                let keyValue: JSONValue = entry.fields[0].type == .string ? .string(key) : keyJSON(key)
                let payload = try encodeMapEntry(keyValue, element, entry, path: "\(path)[\(key)]")
                writer.lengthDelimited(field.number, payload)
            }
            return
        }
        guard case .array(let elements) = value else {
            throw SchemaError("\(path): expected an array, got \(value.kindName)")
        }
        if field.packed {
            guard !elements.isEmpty else { return }
            var packed = WireWriter()
            for (index, element) in elements.enumerated() {
                try encodeScalar(element, field.type, path: "\(path)[\(index)]", into: &packed)
            }
            writer.lengthDelimited(field.number, packed.bytes)
        } else {
            for (index, element) in elements.enumerated() {
                try encodeSingle(element, field, path: "\(path)[\(index)]", skipDefault: false, into: &writer)
            }
        }
    }

    private func keyJSON(_ key: String) -> JSONValue {
        key == "true" || key == "false" ? .bool(key == "true") : .number(key)
    }

    private func encodeMapEntry(
        _ key: JSONValue, _ value: JSONValue, _ entry: MessageDescriptor, path: String
    ) throws(SchemaError) -> [UInt8] {
        var writer = WireWriter()
        try encodeSingle(key, entry.fields[0], path: path, skipDefault: false, into: &writer)
        try encodeSingle(value, entry.fields[1], path: path, skipDefault: false, into: &writer)
        return writer.bytes
    }

    /// One value of a field, with its tag; proto3 defaults are skipped when `skipDefault`.
    private func encodeSingle(
        _ value: JSONValue, _ field: FieldDescriptor, path: String, skipDefault: Bool, into writer: inout WireWriter
    ) throws(SchemaError) {
        switch field.type {
        case .message(let typeName):
            writer.lengthDelimited(field.number, try encodeMessage(value, try schema.message(typeName), path: path))
        case .string:
            guard case .string(let text) = value else { throw SchemaError("\(path): expected a string") }
            if skipDefault, text.isEmpty { return }
            writer.lengthDelimited(field.number, Array(text.utf8))
        case .bytes:
            guard case .string(let text) = value, let bytes = decodeBase64(text) else {
                throw SchemaError("\(path): expected base64 text")
            }
            if skipDefault, bytes.isEmpty { return }
            writer.lengthDelimited(field.number, bytes)
        default:
            var scalar = WireWriter()
            try encodeScalar(value, field.type, path: path, into: &scalar)
            if skipDefault, scalar.bytes.allSatisfy({ $0 == 0 }) { return }
            writer.tag(field.number, wireType: wireType(of: field.type))
            writer.bytes.append(contentsOf: scalar.bytes)
        }
    }

    private func wireType(of type: FieldType) -> UInt64 {
        switch type {
        case .double, .fixed64, .sfixed64: return WireType.fixed64
        case .float, .fixed32, .sfixed32: return WireType.fixed32
        case .string, .bytes, .message: return WireType.lengthDelimited
        default: return WireType.varint
        }
    }

    /// A scalar's bytes without a tag (as inside a packed block). All-zero bytes mean the default.
    private func encodeScalar(_ value: JSONValue, _ type: FieldType, path: String, into writer: inout WireWriter)
        throws(SchemaError)
    {
        switch type {
        case .double:
            writer.fixed64(try JSONScalars.double(value, path: path).bitPattern)
        case .float:
            writer.fixed32(Float(try JSONScalars.double(value, path: path)).bitPattern)
        case .int32:
            writer.varint(UInt64(bitPattern: Int64(try JSONScalars.integer(value, Int32.self, path: path))))
        case .int64:
            writer.varint(UInt64(bitPattern: try JSONScalars.integer(value, Int64.self, path: path)))
        case .uint32:
            writer.varint(UInt64(try JSONScalars.integer(value, UInt32.self, path: path)))
        case .uint64:
            writer.varint(try JSONScalars.integer(value, UInt64.self, path: path))
        case .sint32:
            let number = try JSONScalars.integer(value, Int32.self, path: path)
            writer.varint(UInt64(UInt32(bitPattern: (number << 1) ^ (number >> 31))))
        case .sint64:
            let number = try JSONScalars.integer(value, Int64.self, path: path)
            writer.varint(UInt64(bitPattern: (number << 1) ^ (number >> 63)))
        case .fixed32:
            writer.fixed32(try JSONScalars.integer(value, UInt32.self, path: path))
        case .sfixed32:
            writer.fixed32(UInt32(bitPattern: try JSONScalars.integer(value, Int32.self, path: path)))
        case .fixed64:
            writer.fixed64(try JSONScalars.integer(value, UInt64.self, path: path))
        case .sfixed64:
            writer.fixed64(UInt64(bitPattern: try JSONScalars.integer(value, Int64.self, path: path)))
        case .bool:
            guard case .bool(let flag) = value else { throw SchemaError("\(path): expected true or false") }
            writer.varint(flag ? 1 : 0)
        case .enumeration(let typeName):
            let number: Int32
            if case .string(let name) = value {
                guard let found = schema.enums[typeName]?.number(named: name) else {
                    let names = schema.enums[typeName]?.values.map(\.name).joined(separator: ", ") ?? ""
                    throw SchemaError("\(path): \(name) is not a value of \(typeName) (values: \(names))")
                }
                number = found
            } else {
                number = try JSONScalars.integer(value, Int32.self, path: path)
            }
            writer.varint(UInt64(bitPattern: Int64(number)))
        case .string, .bytes, .message:
            throw SchemaError("\(path): strings, bytes and messages cannot be packed")
        }
    }

    private func decodeBase64(_ text: String) -> [UInt8]? {
        let standard = String(
            text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 }.filter { !$0.isWhitespace })
        return Base64Text.decode(standard)
    }
}
