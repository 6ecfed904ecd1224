/// A recursive-descent parser for the parts of proto2/proto3 a request encoder needs: packages,
/// messages (nested), fields with labels and options (`packed`, `json_name`), `oneof`, `map<K, V>`,
/// enums and services. Options, reserved ranges, extensions and imports are read and skipped (every
/// file of the proto path is parsed, so imported types are found anyway).
struct ProtoParser {
    private var tokens: [ProtoTokenizer.Located]
    private var position = 0
    private let file: String
    private var package = ""
    private var isProto3 = false
    /// Fields whose type names are not resolved yet, with the scope they appeared in.
    private(set) var pending: [(message: String, index: Int, typeName: String, scope: String)] = []
    private(set) var schema: ProtoSchema

    init(source: String, file: String, into schema: ProtoSchema) throws(SchemaError) {
        self.tokens = try ProtoTokenizer.tokenize(source, file: file)
        self.file = file
        self.schema = schema
    }

    // MARK: Token helpers

    private var line: Int { position < tokens.count ? tokens[position].line : (tokens.last?.line ?? 0) }

    private func fail(_ message: String) -> SchemaError {
        SchemaError("\(file):\(line): \(message)")
    }

    private func peek() -> ProtoTokenizer.Token? {
        position < tokens.count ? tokens[position].token : nil
    }

    private mutating func next() throws(SchemaError) -> ProtoTokenizer.Token {
        guard position < tokens.count else { throw fail("unexpected end of file") }
        defer { position += 1 }
        return tokens[position].token
    }

    private mutating func identifier() throws(SchemaError) -> String {
        guard case .identifier(let name) = try next() else { throw fail("expected a name") }
        return name
    }

    private mutating func expect(_ symbol: Character) throws(SchemaError) {
        guard case .symbol(let found) = try next(), found == symbol else { throw fail("expected '\(symbol)'") }
    }

    private mutating func take(_ symbol: Character) -> Bool {
        if case .symbol(let found) = peek(), found == symbol {
            position += 1
            return true
        }
        return false
    }

    private mutating func integer() throws(SchemaError) -> Int {
        let token = try next()
        guard case .number(let text) = token, let value = parseProtoInteger(text) else {
            throw fail("expected a number")
        }
        return value
    }

    /// Skips a statement up to its `;`, or a block `{ … }` (balanced).
    private mutating func skipStatement() throws(SchemaError) {
        var depth = 0
        while true {
            let token = try next()
            if token == .symbol("{") { depth += 1 }
            if token == .symbol("}") {
                depth -= 1
                if depth == 0 { return }
            }
            if token == .symbol(";"), depth == 0 { return }
        }
    }

    // MARK: Grammar

    mutating func parseFile() throws(SchemaError) {
        while let token = peek() {
            switch token {
            case .identifier("syntax"), .identifier("edition"):
                position += 1
                try expect("=")
                guard case .string(let syntax) = try next() else { throw fail("expected the syntax string") }
                isProto3 = syntax == "proto3" || token == .identifier("edition")
                try expect(";")
            case .identifier("package"):
                position += 1
                package = try identifier()
                try expect(";")
            case .identifier("message"):
                position += 1
                try parseMessage(scope: package)
            case .identifier("enum"):
                position += 1
                try parseEnum(scope: package)
            case .identifier("service"):
                position += 1
                try parseService()
            case .symbol(";"):
                position += 1
            default:
                try skipStatement()  // import, option, extend
            }
        }
    }

    private func qualified(_ scope: String, _ name: String) -> String {
        scope.isEmpty ? name : "\(scope).\(name)"
    }

    private mutating func parseMessage(scope: String) throws(SchemaError) {
        let fullName = qualified(scope, try identifier())
        schema.messages[fullName] = MessageDescriptor(fullName: fullName, fields: [])
        try expect("{")
        try parseMessageBody(fullName, oneof: nil)
        schema.messages[fullName]?.fields.sort { $0.number < $1.number }
    }

    private mutating func parseMessageBody(_ message: String, oneof: String?) throws(SchemaError) {
        while !take("}") {
            guard let token = peek() else { throw fail("unterminated message \(message)") }
            switch token {
            case .identifier("message") where oneof == nil:
                position += 1
                try parseMessage(scope: message)
            case .identifier("enum") where oneof == nil:
                position += 1
                try parseEnum(scope: message)
            case .identifier("oneof") where oneof == nil:
                position += 1
                let name = try identifier()
                try expect("{")
                try parseMessageBody(message, oneof: name)
            case .identifier("option"), .identifier("reserved"), .identifier("extensions"), .identifier("extend"):
                try skipStatement()
            case .symbol(";"):
                position += 1
            default:
                try parseField(in: message, oneof: oneof)
            }
        }
    }

    private mutating func parseField(in message: String, oneof: String?) throws(SchemaError) {
        var label = FieldDescriptor.Label.singular
        var typeName = try identifier()
        switch typeName {
        case "repeated": label = .repeated
        case "optional": label = isProto3 ? .optional : .singular
        case "required": label = .singular
        default: break
        }
        if label != .singular || typeName == "required" || typeName == "optional" { typeName = try identifier() }
        if typeName == "map", take("<") {
            try parseMapField(in: message)
            return
        }
        let name = try identifier()
        try expect("=")
        let number = try integer()
        var packed: Bool?
        var jsonName = protoJSONName(name)
        if take("[") {
            repeat {
                let option = try identifier()
                try expect("=")
                let value = try next()
                if option == "packed" { packed = value == .identifier("true") }
                if option == "json_name", case .string(let custom) = value { jsonName = custom }
            } while take(",")
            try expect("]")
        }
        try expect(";")
        let scalar = FieldType.scalar(typeName)
        let field = FieldDescriptor(
            name: name, jsonName: jsonName, number: number, type: scalar ?? .message(typeName), label: label,
            oneof: oneof,
            packed: label == .repeated && (scalar?.isPackable ?? true) && (packed ?? isProto3))
        schema.messages[message]?.fields.append(field)
        if scalar == nil {
            let index = schema.messages[message]!.fields.count - 1
            pending.append((message, index, typeName, message))
        }
    }

    private mutating func parseMapField(in message: String) throws(SchemaError) {
        let keyType = try identifier()
        try expect(",")
        let valueType = try identifier()
        try expect(">")
        let name = try identifier()
        try expect("=")
        let number = try integer()
        if take("[") { while !take("]") { _ = try next() } }
        try expect(";")
        let camel = protoJSONName(name)
        let entryName = "\(message).\(camel.prefix(1).uppercased())\(camel.dropFirst())Entry"
        guard let key = FieldType.scalar(keyType) else { throw fail("map key \(keyType) is not a scalar") }
        let valueScalar = FieldType.scalar(valueType)
        var entry = MessageDescriptor(fullName: entryName, fields: [], isMapEntry: true)
        entry.fields.append(
            FieldDescriptor(name: "key", jsonName: "key", number: 1, type: key, label: .singular, packed: false))
        entry.fields.append(
            FieldDescriptor(
                name: "value", jsonName: "value", number: 2, type: valueScalar ?? .message(valueType),
                label: .singular, packed: false))
        schema.messages[entryName] = entry
        if valueScalar == nil { pending.append((entryName, 1, valueType, message)) }
        schema.messages[message]?.fields.append(
            FieldDescriptor(
                name: name, jsonName: camel, number: number, type: .message(entryName), label: .repeated,
                packed: false))
    }

    private mutating func parseEnum(scope: String) throws(SchemaError) {
        let fullName = qualified(scope, try identifier())
        var values: [(name: String, number: Int32)] = []
        try expect("{")
        while !take("}") {
            guard case .identifier(let name) = try next() else { throw fail("expected an enum value") }
            if name == "option" || name == "reserved" {
                position -= 1
                try skipStatement()
                continue
            }
            try expect("=")
            let number = try integer()
            if take("[") { while !take("]") { _ = try next() } }
            try expect(";")
            values.append((name, Int32(truncatingIfNeeded: number)))
        }
        schema.enums[fullName] = EnumDescriptor(fullName: fullName, values: values)
    }

    private mutating func parseService() throws(SchemaError) {
        let service = qualified(package, try identifier())
        try expect("{")
        while !take("}") {
            guard case .identifier("rpc") = peek() else {
                try skipStatement()
                continue
            }
            position += 1
            let name = try identifier()
            try expect("(")
            var clientStreaming = false
            var input = try identifier()
            if input == "stream", case .identifier = peek() {
                clientStreaming = true
                input = try identifier()
            }
            try expect(")")
            guard try identifier() == "returns" else { throw fail("expected 'returns'") }
            try expect("(")
            var serverStreaming = false
            var output = try identifier()
            if output == "stream", case .identifier = peek() {
                serverStreaming = true
                output = try identifier()
            }
            try expect(")")
            if peek() == .symbol("{") { try skipStatement() } else { try expect(";") }
            let path = "/\(service)/\(name)"
            schema.methods[path] = MethodDescriptor(
                path: path, inputType: input, outputType: output, clientStreaming: clientStreaming,
                serverStreaming: serverStreaming)
            pending.append((path, -1, input, package))
            pending.append((path, -2, output, package))
        }
    }
}

/// Decimal, hexadecimal (`0x`) or octal (leading `0`) integers, optionally negative.
func parseProtoInteger(_ text: String) -> Int? {
    var digits = Substring(text)
    let negative = digits.hasPrefix("-")
    if negative { digits = digits.dropFirst() }
    let value: Int?
    if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
        value = Int(digits.dropFirst(2), radix: 16)
    } else if digits.count > 1, digits.hasPrefix("0") {
        value = Int(digits.dropFirst(), radix: 8)
    } else {
        value = Int(digits)
    }
    return value.map { negative ? -$0 : $0 }
}
