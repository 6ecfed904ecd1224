#if canImport(Glibc)
    import Glibc
#endif

/// Bars in PostgreSQL (`bars`, partitioned by year of `ts`): idempotent writes through binary COPY and
/// binary column reads. Uses one connection, so it lives on that connection's loop.
///
/// ```swift
/// let store = BarStore(connection: connection)
/// let id = try await store.symbolID(for: "AAPL")
/// let summary = try await store.write(bars, symbolID: id, timeframe: "1d")   // rowsWritten == 0 on a re-run
/// ```
public struct BarStore {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// The id of `symbol` in `symbols`, registering it (with `source`) when it is new.
    public func symbolID(for symbol: String, source: String = "csv") async throws -> Int32 {
        let result = try await connection.query(
            """
            WITH inserted AS (
                INSERT INTO symbols (symbol, source) VALUES ($1, $2) ON CONFLICT (symbol) DO NOTHING RETURNING id
            )
            SELECT id FROM inserted UNION ALL SELECT id FROM symbols WHERE symbol = $1 LIMIT 1
            """, [.text(symbol), .text(source)])
        guard result.rowCount == 1, let id = try result.int(0, 0) else {
            throw PostgresError(.protocolViolation, "symbols returned no id for \(symbol)")
        }
        return Int32(id)
    }

    /// Creates the yearly partitions of `bars` covering `first`…`last` (µs since the Unix epoch); returns how
    /// many were new. Safe to call concurrently (the SQL function serialises on an advisory lock).
    @discardableResult
    public func ensurePartitions(first: Int64, last: Int64) async throws -> Int {
        let result = try await connection.query(
            "SELECT pulse_ensure_bar_partitions($1, $2)",
            [.timestamp(microseconds: first), .timestamp(microseconds: last)])
        return Int(try result.int(0, 0) ?? 0)
    }

    /// Writes `bars` for `symbolID` and `timeframe` in one transaction with their row in the ingestion ledger
    /// (`ingestion_batches`): partitions first, then binary COPY straight into `bars` when the ledger knows no
    /// batch of this symbol and timeframe overlapping the range, otherwise COPY into a staging table and one
    /// upsert that rewrites only rows whose values changed.
    ///
    /// - Parameters:
    ///   - source: where the batch came from, recorded in the ledger (`csv:FILE`, `alphavantage:…`).
    ///   - beforeCommit: runs inside the transaction just before `COMMIT` (a failpoint for crash tests).
    public func write(
        _ bars: StoredBars, symbolID: Int32, timeframe: String, source: String = "api",
        beforeCommit: () async throws -> Void = {}
    ) async throws -> BarWriteSummary {
        guard let first = bars.timestamps.min(), let last = bars.timestamps.max() else {
            return BarWriteSummary(bars: 0, rowsWritten: 0, partitionsCreated: 0, path: .copy)
        }
        let created = try await ensurePartitions(first: first, last: last)
        let payload = Self.copyPayload(bars, symbolID: symbolID, timeframe: timeframe)
        let batch = Batch(
            source: source, symbolID: symbolID, timeframe: timeframe, first: first, last: last, count: bars.count,
            checksum: Self.checksum(payload))
        do {
            let written = try await connection.withTransaction { connection -> (Int, Int64)? in
                guard try await !overlaps(batch) else { return nil }
                let rows = try await connection.copyIn(Self.copyIntoBars, data: payload)
                let id = try await record(batch, rowsWritten: rows, path: .copy)
                try await beforeCommit()
                return (rows, id)
            }
            if let (rows, id) = written {
                return BarWriteSummary(
                    bars: bars.count, rowsWritten: rows, partitionsCreated: created, path: .copy, batchID: id)
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            // Rows in the range that the ledger did not know of (written since, or by hand): upsert instead.
        }
        let (rows, id) = try await connection.withTransaction { connection in
            try await connection.query(Self.createStaging)
            try await connection.copyIn(Self.copyIntoStaging, data: payload)
            let rows = try await connection.query(Self.upsertFromStaging).affectedRows
            let id = try await record(batch, rowsWritten: rows, path: .stagedUpsert)
            try await beforeCommit()
            return (rows, id)
        }
        return BarWriteSummary(
            bars: bars.count, rowsWritten: rows, partitionsCreated: created, path: .stagedUpsert, batchID: id)
    }

    /// Bars of `symbolID` and `timeframe` with `first <= ts <= last` (µs since the Unix epoch; nil = unbounded),
    /// in time order, decoded from binary columns straight into arrays.
    public func read(symbolID: Int32, timeframe: String, first: Int64? = nil, last: Int64? = nil)
        async throws -> StoredBars
    {
        let lower = first.map { PostgresValue.timestamp(microseconds: $0) } ?? .text("-infinity")
        let upper = last.map { PostgresValue.timestamp(microseconds: $0) } ?? .text("infinity")
        let result = try await connection.query(
            """
            SELECT ts, open, high, low, close, volume FROM bars
            WHERE symbol_id = $1 AND timeframe = $2 AND ts BETWEEN $3 AND $4 ORDER BY ts
            """,
            [.int32(symbolID), .text(timeframe), lower, upper], binaryResults: true)
        return StoredBars(
            timestamps: try result.timestampColumn(0), open: try result.float8Column(1),
            high: try result.float8Column(2), low: try result.float8Column(3), close: try result.float8Column(4),
            volume: try result.float8Column(5))
    }

    static let columns = "symbol_id, timeframe, ts, open, high, low, close, volume"
    static let copyIntoBars = "COPY bars (\(columns)) FROM STDIN (FORMAT binary)"
    static let createStaging = """
        CREATE TEMP TABLE IF NOT EXISTS pulse_bars_staging (
            symbol_id integer, timeframe text, ts timestamptz,
            open float8, high float8, low float8, close float8, volume float8
        ) ON COMMIT DELETE ROWS
        """
    static let copyIntoStaging = "COPY pulse_bars_staging (\(columns)) FROM STDIN (FORMAT binary)"
    static let upsertFromStaging = """
        INSERT INTO bars AS b (\(columns))
        SELECT \(columns) FROM pulse_bars_staging
        ON CONFLICT (symbol_id, timeframe, ts) DO UPDATE
        SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
            volume = EXCLUDED.volume
        WHERE (b.open, b.high, b.low, b.close, b.volume)
            IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
        """

    static func copyPayload(_ bars: StoredBars, symbolID: Int32, timeframe: String) -> [UInt8] {
        var writer = BinaryCopyWriter(reservingBytes: bars.count * (2 + 8 * 4 + 4 + 4 + timeframe.utf8.count + 5 * 8))
        for i in 0..<bars.count {
            writer.beginRow(fields: 8)
            writer.appendInt32(symbolID)
            writer.appendText(timeframe)
            writer.appendTimestamp(microseconds: bars.timestamps[i])
            writer.appendDouble(bars.open[i])
            writer.appendDouble(bars.high[i])
            writer.appendDouble(bars.low[i])
            writer.appendDouble(bars.close[i])
            writer.appendDouble(bars.volume[i])
        }
        return writer.finish()
    }
}

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

    private func overlaps(_ batch: Batch) async throws -> Bool {
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

    private func record(_ batch: Batch, rowsWritten: Int, path: BarWriteSummary.Path) async throws -> Int64 {
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

    /// Creates the partitions from `now` through `yearsAhead` years after it and, with `retention`, drops the
    /// partitions whose whole year ended more than `retention` before `now`.
    /// - Parameter now: µs since the Unix epoch (tests pass a fixed time).
    public func maintainPartitions(yearsAhead: Int = 1, retention: Duration? = nil, now: Int64? = nil) async throws
        -> PartitionUpkeep
    {
        let now = now ?? Self.currentMicroseconds()
        let ahead = now + Int64(yearsAhead) * 366 * 86_400 * 1_000_000
        let created = try await ensurePartitions(first: now, last: ahead)
        var dropped: [String] = []
        if let retention {
            let cutoff = now - retention.components.seconds * 1_000_000
            let result = try await connection.query(
                "SELECT pulse_drop_bar_partitions_before($1)", [.timestamp(microseconds: cutoff)])
            dropped = (0..<result.rowCount).compactMap { result.string($0, 0) }
        }
        return PartitionUpkeep(created: created, dropped: dropped)
    }

    static func currentMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}

/// What ``BarStore/maintainPartitions(yearsAhead:retention:now:)`` did.
public struct PartitionUpkeep: Sendable, Equatable {
    /// Partitions created ahead of time.
    public var created: Int
    /// Partitions dropped past the retention, by name (`bars_2001`).
    public var dropped: [String]

    public init(created: Int, dropped: [String]) {
        self.created = created
        self.dropped = dropped
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

@available(*, unavailable)
extension BarStore: Sendable {}
