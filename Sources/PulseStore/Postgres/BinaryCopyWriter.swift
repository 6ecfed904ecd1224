/// Builds the payload of `COPY … FROM STDIN (FORMAT binary)`: the `PGCOPY\n\377\r\n\0` header, rows of
/// length-prefixed big-endian fields, and the trailer.
///
/// ```swift
/// var writer = BinaryCopyWriter()
/// writer.beginRow(fields: 2)
/// writer.appendInt32(7)
/// writer.appendDouble(1.5)
/// try await connection.copyIn("COPY t (id, x) FROM STDIN (FORMAT binary)", data: writer.finish())
/// ```
public struct BinaryCopyWriter: Sendable {
    private var bytes: [UInt8]
    /// Rows begun so far.
    public private(set) var rowCount = 0

    /// Starts a payload; `reservingBytes` pre-sizes the buffer.
    public init(reservingBytes capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity + 32)
        bytes.append(contentsOf: [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00])
        append(UInt32(0))  // flags
        append(UInt32(0))  // header extension length
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Starts a row of `fields` values.
    public mutating func beginRow(fields: Int) {
        rowCount += 1
        append(Int16(fields))
    }

    public mutating func appendNull() { append(Int32(-1)) }

    public mutating func appendInt32(_ value: Int32) {
        append(Int32(4))
        append(value)
    }

    public mutating func appendInt64(_ value: Int64) {
        append(Int32(8))
        append(value)
    }

    /// A `float8`.
    public mutating func appendDouble(_ value: Double) {
        append(Int32(8))
        append(value.bitPattern)
    }

    /// A `text` (UTF-8 bytes).
    public mutating func appendText(_ value: String) {
        let utf8 = value.utf8
        append(Int32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// A `timestamptz` given as microseconds since the Unix epoch.
    public mutating func appendTimestamp(microseconds: Int64) {
        append(Int32(8))
        append(microseconds - PostgresValue.postgresEpochOffset)
    }

    /// The finished payload (header, rows, trailer).
    public consuming func finish() -> [UInt8] {
        append(Int16(-1))
        return bytes
    }
}
