import Foundation
import PulseProtocol

/// One golden vector: a message value built in Swift and the name of its `.hex` file in Protocol/vectors,
/// whose bytes protobuf's reference implementation produced from the same values (see vectors.json).
struct GoldenVector: Sendable, CustomStringConvertible {
    let name: String
    /// Our encoding of the value.
    let encoded: @Sendable () -> [UInt8]
    /// Decodes bytes as the value's type and tells whether the result is the value (NaN-aware).
    let decodesToValue: @Sendable ([UInt8]) throws -> Bool
    /// Decodes bytes and encodes the result again.
    let reencoded: @Sendable ([UInt8]) throws -> [UInt8]

    init<M: ProtoMessage>(_ name: String, _ value: M) {
        self.name = name
        encoded = { value.serializedBytes() }
        decodesToValue = { bytes in canonical(try M(serializedBytes: bytes)) == canonical(value) }
        reencoded = { bytes in try M(serializedBytes: bytes).serializedBytes() }
    }

    var description: String { name }

    /// The golden bytes from `Protocol/vectors/<name>.hex`.
    func golden() throws -> [UInt8] {
        let text = try String(contentsOf: GoldenVector.directory.appendingPathComponent("\(name).hex"), encoding: .utf8)
        return hex(text)
    }

    /// `Protocol/vectors`, found from this source file's location.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/vectors")
}

/// A structural rendering of a value in which doubles appear as bit patterns, so NaN equals NaN and
/// -0.0 differs from 0.0: two messages are the same exactly when their renderings are.
func canonical(_ value: Any) -> String {
    if let double = value as? Double { return "d" + String(double.bitPattern, radix: 16) }
    if let string = value as? String { return "\"" + string + "\"" }
    let mirror = Mirror(reflecting: value)
    if mirror.displayStyle == .optional {
        guard let child = mirror.children.first else { return "nil" }
        return "some(" + canonical(child.value) + ")"
    }
    if mirror.children.isEmpty { return String(reflecting: value) }
    let fields = mirror.children.map { "\($0.label ?? "_")=" + canonical($0.value) }
    return "\(mirror.subjectType){" + fields.joined(separator: ",") + "}"
}
