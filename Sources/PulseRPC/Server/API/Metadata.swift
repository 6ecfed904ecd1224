/// Custom request metadata: every header that is not a pseudo-header or a gRPC-reserved one.
///
/// Keys ending in `-bin` carry binary values; they arrive base64-encoded and are decoded here.
public struct Metadata: Sendable, Sequence {
    /// One value: text for ordinary keys, bytes for `-bin` keys.
    public enum Value: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
    }

    public private(set) var entries: [(name: String, value: Value)] = []

    public init() {}

    public mutating func append(name: String, value: Value) {
        entries.append((name, value))
    }

    /// The first text value for `name` (lower-case).
    public subscript(name: String) -> String? {
        for entry in entries where entry.name == name {
            if case .text(let text) = entry.value { return text }
        }
        return nil
    }

    /// The first binary value for a `-bin` key.
    public func binary(_ name: String) -> [UInt8]? {
        for entry in entries where entry.name == name {
            if case .binary(let bytes) = entry.value { return bytes }
        }
        return nil
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    public func makeIterator() -> IndexingIterator<[(name: String, value: Value)]> {
        entries.makeIterator()
    }
}
