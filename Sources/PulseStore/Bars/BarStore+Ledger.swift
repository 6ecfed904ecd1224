extension BarStore {
    /// One batch as the ledger records it.
    struct Batch {
        var source: String
        var symbolID: Int32
        var timeframe: String
        var first: Int64
        var last: Int64
        var count: Int
        var checksum: String
    }

    func overlaps(_ batch: Batch) async throws -> Bool {
        let result = try await connection.query(
            """
            SELECT EXISTS (
                SELECT 1 FROM ingestion_batches
                WHERE symbol_id = $1 AND timeframe = $2 AND first_ts <= $4 AND last_ts >= $3)
            """,
            [
                .int32(batch.symbolID), .text(batch.timeframe), .timestamp(microseconds: batch.first),
                .timestamp(microseconds: batch.last),
            ])
        return try result.bool(0, 0) ?? true
    }

    func record(_ batch: Batch, rowsWritten: Int, path: BarWriteSummary.Path) async throws -> Int64 {
        let result = try await connection.query(
            """
            INSERT INTO ingestion_batches
                (source, symbol_id, timeframe, first_ts, last_ts, bar_count, checksum, rows_written, path)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
            """,
            [
                .text(batch.source), .int32(batch.symbolID), .text(batch.timeframe),
                .timestamp(microseconds: batch.first), .timestamp(microseconds: batch.last),
                .int32(Int32(batch.count)), .text(batch.checksum), .int32(Int32(rowsWritten)), .text(path.rawValue),
            ])
        return try result.int(0, 0) ?? 0
    }

    /// FNV-1a (64-bit) of a COPY payload, as hexadecimal: the ledger's checksum of a batch.
    static func checksum(_ payload: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in payload {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// The latest batch recorded for `source`, `symbolID` and `timeframe` (where an ingester resumes).
    public func lastBatch(source: String, symbolID: Int32, timeframe: String) async throws -> IngestionBatch? {
        let result = try await connection.query(
            """
            SELECT id, first_ts, last_ts, bar_count, checksum, rows_written FROM ingestion_batches
            WHERE source = $1 AND symbol_id = $2 AND timeframe = $3 ORDER BY last_ts DESC, id DESC LIMIT 1
            """, [.text(source), .int32(symbolID), .text(timeframe)], binaryResults: true)
        guard result.rowCount == 1 else { return nil }
        return IngestionBatch(
            id: try result.int(0, 0) ?? 0, first: try result.timestamp(0, 1) ?? 0,
            last: try result.timestamp(0, 2) ?? 0,
            barCount: Int(try result.int(0, 3) ?? 0), checksum: result.string(0, 4) ?? "",
            rowsWritten: Int(try result.int(0, 5) ?? 0))
    }
}

/// One row of the ingestion ledger.
public struct IngestionBatch: Sendable, Equatable {
    public var id: Int64
    /// First and last bar time, µs since the Unix epoch.
    public var first: Int64
    public var last: Int64
    public var barCount: Int
    public var checksum: String
    public var rowsWritten: Int
}
