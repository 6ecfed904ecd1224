import PulseProtocol

/// proto3 JSON scalars: numbers given as JSON numbers or strings.
enum JSONScalars {
    static func double(_ value: JSONValue, path: String) throws(SchemaError) -> Double {
        switch value {
        case .number(let text):
            guard let number = Double(text) else { throw SchemaError("\(path): bad number \(text)") }
            return number
        case .string(let text):
            switch text {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default:
                guard let number = Double(text) else { throw SchemaError("\(path): bad number \"\(text)\"") }
                return number
            }
        default:
            throw SchemaError("\(path): expected a number, got \(value.kindName)")
        }
    }

    static func integer<T: FixedWidthInteger>(_ value: JSONValue, _ type: T.Type, path: String) throws(SchemaError)
        -> T
    {
        let text: String
        switch value {
        case .number(let number): text = number
        case .string(let number): text = number
        default: throw SchemaError("\(path): expected an integer, got \(value.kindName)")
        }
        if let exact = T(text) { return exact }
        // 1e3 or 5.0: integral values written as floating point.
        if let number = Double(text), number == number.rounded(), let exact = T(exactly: number) { return exact }
        throw SchemaError("\(path): \(text) is not a \(T.self)")
    }
}

/// Base64 through PulseProtocol's decoder (standard alphabet, padded or not).
enum Base64Text {
    static func decode(_ text: String) -> [UInt8]? {
        Base64.decode(text)
    }
}
