/// A statement parameter. Numbers, booleans, bytes and timestamps travel in binary with their type named;
/// text travels as text of unspecified type, so the server infers it from the statement (`$1::interval`).
public enum PostgresValue: Sendable, Equatable {
    case null
    case int(Int64)
    case int32(Int32)
    case double(Double)
    case bool(Bool)
    case text(String)
    case bytes([UInt8])
    /// A `timestamptz`: microseconds since the Unix epoch (UTC).
    case timestamp(microseconds: Int64)

    /// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 00:00:00 UTC).
    public static let postgresEpochOffset: Int64 = 946_684_800 * 1_000_000

    /// A `timestamptz` from seconds since the Unix epoch.
    public static func timestamp(seconds: Int64) -> PostgresValue { .timestamp(microseconds: seconds * 1_000_000) }
}

extension PostgresValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByFloatLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
}

/// Parameters laid out the way `PQsendQueryParams` wants them: one byte buffer, offsets, lengths, formats, types.
struct EncodedParameters {
    private(set) var bytes: [UInt8] = []
    private(set) var offsets: [Int] = []
    private(set) var lengths: [Int32] = []
    private(set) var formats: [Int32] = []
    private(set) var types: [UInt32] = []
    private(set) var nulls: [Bool] = []

    init(_ values: [PostgresValue]) {
        for value in values {
            offsets.append(bytes.count)
            var format: Int32 = 1
            var type: UInt32 = 0
            var isNull = false
            switch value {
            case .null: isNull = true
            case .int(let v): type = 20; append(UInt64(bitPattern: v))
            case .int32(let v): type = 23; append(UInt32(bitPattern: v))
            case .double(let v): type = 701; append(v.bitPattern)
            case .bool(let v): type = 16; bytes.append(v ? 1 : 0)
            case .text(let v): format = 0; bytes.append(contentsOf: v.utf8); bytes.append(0)
            case .bytes(let v): type = 17; bytes.append(contentsOf: v)
            case .timestamp(let v): type = 1184; append(UInt64(bitPattern: v - PostgresValue.postgresEpochOffset))
            }
            var length = bytes.count - offsets[offsets.count - 1]
            if format == 0 { length -= 1 }  // the terminating NUL is not part of a text value
            lengths.append(Int32(length))
            formats.append(format)
            types.append(type)
            nulls.append(isNull)
        }
        if bytes.isEmpty { bytes.append(0) }  // so every offset has a valid base address
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    var count: Int32 { Int32(offsets.count) }

    /// Calls `body` with C arrays valid for the duration of the call.
    func withCArrays<R>(
        _ body: (
            _ types: UnsafePointer<UInt32>?, _ values: UnsafePointer<UnsafePointer<CChar>?>?,
            _ lengths: UnsafePointer<Int32>?, _ formats: UnsafePointer<Int32>?
        ) -> R
    ) -> R {
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            let pointers: [UnsafePointer<CChar>?] = offsets.indices.map { nulls[$0] ? nil : base + offsets[$0] }
            return pointers.withUnsafeBufferPointer { values in
                types.withUnsafeBufferPointer { types in
                    lengths.withUnsafeBufferPointer { lengths in
                        formats.withUnsafeBufferPointer { formats in
                            body(types.baseAddress, values.baseAddress, lengths.baseAddress, formats.baseAddress)
                        }
                    }
                }
            }
        }
    }
}
