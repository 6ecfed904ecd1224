/// A Redis reply (RESP2), copied out of hiredis' reply object before hiredis frees it.
public enum RedisValue: Sendable, Equatable, CustomStringConvertible {
    /// A bulk string: raw bytes, any content.
    case bulk([UInt8])
    /// A simple status such as `OK` or `QUEUED`.
    case status(String)
    case integer(Int64)
    case array([RedisValue])
    /// The nil bulk string or nil array.
    case null
    /// An error reply (`ERR …`, `WRONGTYPE …`, a script's error). Commands return it as a thrown
    /// `RedisError` with code `.server`; pipelines return it in place.
    case error(String)

    /// The value as text: a bulk string decoded as UTF-8, a status, or an integer's digits.
    public var string: String? {
        switch self {
        case .bulk(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .status(let text): return text
        case .integer(let n): return String(n)
        default: return nil
        }
    }

    /// The value as an integer: an integer reply, or a bulk string or status holding one.
    public var integer: Int64? {
        switch self {
        case .integer(let n): return n
        case .bulk, .status: return string.flatMap { Int64($0) }
        default: return nil
        }
    }

    /// The elements of an array reply.
    public var array: [RedisValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var isNull: Bool { self == .null }

    public var description: String {
        switch self {
        case .bulk(let bytes): return "\"\(String(decoding: bytes, as: UTF8.self))\""
        case .status(let text): return text
        case .integer(let n): return "(integer) \(n)"
        case .array(let elements): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .null: return "(nil)"
        case .error(let message): return "(error) \(message)"
        }
    }
}

/// One argument of a Redis command: text or raw bytes.
public struct RedisArgument: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { self.bytes = Array(text.utf8) }
    public init<N: BinaryInteger>(_ number: N) { self.bytes = Array(String(number).utf8) }
    public init(_ number: Double) { self.bytes = Array("\(number)".utf8) }
    public init(stringLiteral value: String) { self.init(value) }
    public init(integerLiteral value: Int) { self.init(value) }
}
