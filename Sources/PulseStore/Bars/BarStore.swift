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

    /// Writes `bars` for `symbolID` and `timeframe` in one transaction: partitions first, then binary COPY
    /// straight into `bars` when nothing is stored in the range yet, otherwise COPY into a staging table and
    /// one upsert that rewrites only rows whose values changed.
    public func write(_ bars: StoredBars, symbolID: Int32, timeframe: String) async throws -> BarWriteSummary {
        guard let first = bars.timestamps.min(), let last = bars.timestamps.max() else {
            return BarWriteSummary(bars: 0, rowsWritten: 0, partitionsCreated: 0, path: .copy)
        }
        let created = try await ensurePartitions(first: first, last: last)
        let payload = Self.copyPayload(bars, symbolID: symbolID, timeframe: timeframe)
        let range: [PostgresValue] = [
            .int32(symbolID), .text(timeframe), .timestamp(microseconds: first), .timestamp(microseconds: last),
        ]
        do {
            let written = try await connection.withTransaction { connection -> Int? in
                let overlap = try await connection.query(
                    """
                    SELECT EXISTS (SELECT 1 FROM bars WHERE symbol_id = $1 AND timeframe = $2 AND ts BETWEEN $3 AND $4)
                    """, range)
                guard try overlap.bool(0, 0) == false else { return nil }
                return try await connection.copyIn(Self.copyIntoBars, data: payload)
            }
            if let written {
                return BarWriteSummary(bars: bars.count, rowsWritten: written, partitionsCreated: created, path: .copy)
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            // Another writer stored part of the range since the check: fall through to the upsert.
        }
        let written = try await connection.withTransaction { connection in
            try await connection.query(Self.createStaging)
            try await connection.copyIn(Self.copyIntoStaging, data: payload)
            return try await connection.query(Self.upsertFromStaging).affectedRows
        }
        return BarWriteSummary(bars: bars.count, rowsWritten: written, partitionsCreated: created, path: .stagedUpsert)
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

@available(*, unavailable)
extension BarStore: Sendable {}
