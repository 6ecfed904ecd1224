private import CLibPQ

/// The rows (or command status) of one statement. Owns its `PGresult`, which is read-only once made,
/// so a result may be read from any thread.
///
/// Accessors read text-format and binary-format columns alike (binary for the types of ``PostgresValue``).
public final class PostgresResult: @unchecked Sendable {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { PQclear(handle) }

    /// Rows returned.
    public var rowCount: Int { Int(PQntuples(handle)) }
    /// Columns per row.
    public var columnCount: Int { Int(PQnfields(handle)) }
    /// Rows the command inserted, updated, deleted, copied or selected (`PQcmdTuples`); 0 when it says none.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }
    /// The command tag (`INSERT 0 3`, `SELECT 1`, `COPY 100`).
    public var commandTag: String { String(cString: PQcmdStatus(handle)) }

    /// The name of column `column`.
    public func columnName(_ column: Int) -> String { String(cString: PQfname(handle, Int32(column))) }

    /// The index of the column called `name`, if any.
    public func column(named name: String) -> Int? {
        let index = PQfnumber(handle, name)
        return index < 0 ? nil : Int(index)
    }

    /// True when the value at `row`, `column` is SQL NULL.
    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(handle, Int32(row), Int32(column)) == 1 }

    private func isBinary(_ column: Int) -> Bool { PQfformat(handle, Int32(column)) == 1 }
    private func type(_ column: Int) -> UInt32 { PQftype(handle, Int32(column)) }

    private func bytes(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer {
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return UnsafeRawBufferPointer(start: PQgetvalue(handle, Int32(row), Int32(column)), count: length)
    }

    /// The value as text (text-format columns, or binary `text`/`varchar`/`name` columns); nil for NULL.
    public func string(_ row: Int, _ column: Int) -> String? {
        if isNull(row, column) { return nil }
        return String(decoding: bytes(row, column), as: UTF8.self)
    }

    /// The value as an integer (`int2`, `int4`, `int8`, or text that parses); nil for NULL.
    public func int(_ row: Int, _ column: Int) throws(PostgresError) -> Int64? {
        if isNull(row, column) { return nil }
        let raw = bytes(row, column)
        if isBinary(column) {
            switch (type(column), raw.count) {
            case (20, 8): return Int64(bigEndian: raw.loadUnaligned(as: Int64.self))
            case (23, 4): return Int64(Int32(bigEndian: raw.loadUnaligned(as: Int32.self)))
            case (21, 2): return Int64(Int16(bigEndian: raw.loadUnaligned(as: Int16.self)))
            default: break
            }
        } else if let value = Int64(String(decoding: raw, as: UTF8.self)) {
            return value
        }
        throw mismatch(row, column, "an integer")
    }

    /// The value as a double (`float8`, `float4`, or text that parses); nil for NULL.
    public func double(_ row: Int, _ column: Int) throws(PostgresError) -> Double? {
        if isNull(row, column) { return nil }
        let raw = bytes(row, column)
        if isBinary(column) {
            switch (type(column), raw.count) {
            case (701, 8): return Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)))
            case (700, 4): return Double(Float(bitPattern: UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self))))
            default: break
            }
        } else if let value = Double(String(decoding: raw, as: UTF8.self)) {
            return value
        }
        throw mismatch(row, column, "a double")
    }

    /// The value as a boolean (`bool` binary, or `t`/`f` text); nil for NULL.
    public func bool(_ row: Int, _ column: Int) throws(PostgresError) -> Bool? {
        if isNull(row, column) { return nil }
        let raw = bytes(row, column)
        if isBinary(column), raw.count == 1 { return raw[0] != 0 }
        switch String(decoding: raw, as: UTF8.self) {
        case "t", "true": return true
        case "f", "false": return false
        default: throw mismatch(row, column, "a boolean")
        }
    }

    /// A binary `timestamptz` as microseconds since the Unix epoch; nil for NULL.
    public func timestamp(_ row: Int, _ column: Int) throws(PostgresError) -> Int64? {
        if isNull(row, column) { return nil }
        let raw = bytes(row, column)
        guard isBinary(column), type(column) == 1184 || type(column) == 1114, raw.count == 8 else {
            throw mismatch(row, column, "a binary timestamptz")
        }
        return Int64(bigEndian: raw.loadUnaligned(as: Int64.self)) + PostgresValue.postgresEpochOffset
    }

    /// A whole binary `float8` column, decoded straight into an array (NULL is an error).
    public func float8Column(_ column: Int) throws(PostgresError) -> [Double] {
        guard isBinary(column), type(column) == 701 else { throw mismatch(0, column, "a binary float8 column") }
        var values: [Double] = []
        values.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            let raw = bytes(row, column)
            guard raw.count == 8 else { throw mismatch(row, column, "a non-NULL float8") }
            values.append(Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self))))
        }
        return values
    }

    /// A whole binary `timestamptz` column as microseconds since the Unix epoch (NULL is an error).
    public func timestampColumn(_ column: Int) throws(PostgresError) -> [Int64] {
        guard isBinary(column), type(column) == 1184 else {
            throw mismatch(0, column, "a binary timestamptz column")
        }
        var values: [Int64] = []
        values.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            let raw = bytes(row, column)
            guard raw.count == 8 else { throw mismatch(row, column, "a non-NULL timestamptz") }
            values.append(Int64(bigEndian: raw.loadUnaligned(as: Int64.self)) + PostgresValue.postgresEpochOffset)
        }
        return values
    }

    private func mismatch(_ row: Int, _ column: Int, _ wanted: String) -> PostgresError {
        PostgresError(
            .decoding, "column \(columnName(column)) (type oid \(type(column))) of row \(row) is not \(wanted)")
    }
}

extension PostgresResult {
    /// The error a failed result carries, from its fields (never `PQerrorMessage`, which may quote the host).
    static func serverError(_ handle: OpaquePointer) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let value = PQresultErrorField(handle, code) else { return nil }
            return String(cString: value)
        }
        let primary = field(Int32(UInt8(ascii: "M"))) ?? "the server reported an error without a message"
        return PostgresError(
            .server, primary, sqlState: field(Int32(UInt8(ascii: "C"))), detail: field(Int32(UInt8(ascii: "D"))))
    }
}
