/// Custom request metadata: every header that is not a pseudo-header or a gRPC-reserved one.
///
/// Keys ending in `-bin` carry binary values; they arrive base64-encoded and are decoded here.
/// The fields are kept as the bytes that arrived, in one buffer, and become strings only when a
/// handler asks for them: most calls never look, and this keeps them from paying for it.
public struct Metadata: Sendable, Sequence {
    /// One value: text for ordinary keys, bytes for `-bin` keys.
    public enum Value: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
    }

    public typealias Element = (name: String, value: Value)

    /// Each field as: kind (0 text, 1 binary), name length (2 bytes), value length (4 bytes), name, value.
    private var storage: [UInt8] = []
    public private(set) var count = 0

    public init() {}

    /// Appends a field; `name` should be lower-case.
    public mutating func append(name: String, value: Value) {
        switch value {
        case .text(let text): appendRaw(name: Array(name.utf8), value: Array(text.utf8), binary: false)
        case .binary(let bytes): appendRaw(name: Array(name.utf8), value: bytes, binary: true)
        }
    }

    mutating func appendRaw(name: some Collection<UInt8>, value: some Collection<UInt8>, binary: Bool) {
        let nameLength = Swift.min(name.count, Int(UInt16.max))
        // One growth per field at most (requests usually carry one or two custom headers).
        storage.reserveCapacity(Swift.max(64, storage.count + 7 + nameLength + value.count))
        storage.append(binary ? 1 : 0)
        storage.append(UInt8(truncatingIfNeeded: nameLength >> 8))
        storage.append(UInt8(truncatingIfNeeded: nameLength))
        let valueLength = UInt32(truncatingIfNeeded: value.count)
        for shift in stride(from: 24, through: 0, by: -8) {
            storage.append(UInt8(truncatingIfNeeded: valueLength >> shift))
        }
        storage.append(contentsOf: name.prefix(nameLength))
        storage.append(contentsOf: value)
        count += 1
    }

    /// The first text value for `name` (lower-case).
    public subscript(name: String) -> String? {
        firstValue(name, binary: false).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The bytes of the first text value for `name` (lower-case, as UTF-8), without making a string: for checks
    /// that run on every call.
    public func textBytes(utf8Name name: [UInt8]) -> ArraySlice<UInt8>? {
        var found: ArraySlice<UInt8>?
        forEachField { binary, fieldName, value in
            if !binary && fieldName.count == name.count && fieldName.elementsEqual(name) {
                found = value
                return false
            }
            return true
        }
        return found
    }

    /// The first binary value for a `-bin` key.
    public func binary(_ name: String) -> [UInt8]? {
        firstValue(name, binary: true).map(Array.init)
    }

    public var isEmpty: Bool { count == 0 }

    /// All fields, in arrival order.
    public var entries: [Element] {
        var result: [Element] = []
        result.reserveCapacity(count)
        forEachField { binary, name, value in
            let key = String(decoding: name, as: UTF8.self)
            result.append((key, binary ? .binary(Array(value)) : .text(String(decoding: value, as: UTF8.self))))
            return true
        }
        return result
    }

    public func makeIterator() -> IndexingIterator<[Element]> {
        entries.makeIterator()
    }

    private func firstValue(_ name: String, binary wanted: Bool) -> ArraySlice<UInt8>? {
        let key = Array(name.utf8)
        var found: ArraySlice<UInt8>?
        forEachField { binary, fieldName, value in
            if binary == wanted && fieldName.elementsEqual(key) {
                found = value
                return false
            }
            return true
        }
        return found
    }

    /// Calls `body(binary, name, value)` for each field until it returns false.
    func forEachField(_ body: (Bool, ArraySlice<UInt8>, ArraySlice<UInt8>) -> Bool) {
        var index = 0
        while index + 7 <= storage.count {
            let binary = storage[index] == 1
            let nameLength = Int(storage[index + 1]) << 8 | Int(storage[index + 2])
            var valueLength = 0
            for offset in 3..<7 { valueLength = valueLength << 8 | Int(storage[index + offset]) }
            let nameStart = index + 7
            let valueStart = nameStart + nameLength
            let end = valueStart + valueLength
            guard end <= storage.count else { return }
            if !body(binary, storage[nameStart..<valueStart], storage[valueStart..<end]) { return }
            index = end
        }
    }
}
