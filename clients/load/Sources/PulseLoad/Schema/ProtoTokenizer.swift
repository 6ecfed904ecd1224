/// Splits `.proto` source into tokens: identifiers (dotted names included), numbers, quoted strings and
/// single punctuation characters. Comments (`//`, `/* */`) and whitespace are dropped.
struct ProtoTokenizer {
    enum Token: Equatable {
        case identifier(String)
        case number(String)
        case string(String)
        case symbol(Character)
    }

    struct Located {
        var token: Token
        var line: Int
    }

    static func tokenize(_ source: String, file: String) throws(SchemaError) -> [Located] {
        let bytes = Array(source.utf8)
        var tokens: [Located] = []
        var index = 0
        var line = 1
        func isIdentifierByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") {
                line += 1
                index += 1
            } else if byte == 0x20 || byte == 0x09 || byte == 0x0D {
                index += 1
            } else if byte == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") {
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            } else if byte == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                index += 2
                while index + 1 < bytes.count,
                    !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/"))
                {
                    if bytes[index] == UInt8(ascii: "\n") { line += 1 }
                    index += 1
                }
                index += 2
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                var end = index + 1
                while end < bytes.count, bytes[end] != byte {
                    if bytes[end] == UInt8(ascii: "\\") { end += 1 }
                    end += 1
                }
                guard end < bytes.count else { throw SchemaError("\(file):\(line): unterminated string") }
                tokens.append(
                    Located(token: .string(String(decoding: bytes[(index + 1)..<end], as: UTF8.self)), line: line))
                index = end + 1
            } else if (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "-") {
                var end = index + 1
                while end < bytes.count, isIdentifierByte(bytes[end]) || bytes[end] == UInt8(ascii: "+") { end += 1 }
                tokens.append(Located(token: .number(String(decoding: bytes[index..<end], as: UTF8.self)), line: line))
                index = end
            } else if isIdentifierByte(byte) {
                var end = index + 1
                while end < bytes.count, isIdentifierByte(bytes[end]) { end += 1 }
                tokens.append(
                    Located(token: .identifier(String(decoding: bytes[index..<end], as: UTF8.self)), line: line))
                index = end
            } else {
                tokens.append(Located(token: .symbol(Character(Unicode.Scalar(byte))), line: line))
                index += 1
            }
        }
        return tokens
    }
}
