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

    /// Writes `bars` for `symbolID` and `timeframe` in one transaction with their row in the ingestion ledger
    /// (`ingestion_batches`): partitions first, then binary COPY straight into `bars` when the ledger knows no
    /// batch of this symbol and timeframe overlapping the range, otherwise COPY into a staging table and one
    /// upsert that rewrites only rows whose values changed.
    ///
    /// - Parameters:
    ///   - source: where the batch came from, recorded in the ledger (`csv:FILE`, `alphavantage:…`).
    ///   - beforeCommit: runs inside the transaction just before `COMMIT` (a failpoint for crash tests).
    ///
    /// 1-minute bars bring their rollups up to date after the commit (``refreshRollups(timeout:)``); should that
    /// fail, the written hours stay noted and reads group the minutes until a later refresh.
    public func write(
        _ bars: StoredBars, symbolID: Int32, timeframe: String, source: String = "api",
        beforeCommit: () async throws -> Void = {}
    ) async throws -> BarWriteSummary {
        var summary = try await writeBars(
            bars, symbolID: symbolID, timeframe: timeframe, source: source, beforeCommit: beforeCommit)
        if timeframe == "1m" && summary.rowsWritten > 0 {
            let started = ContinuousClock.now
            _ = try? await refreshRollups()
            summary.rollupRefresh = ContinuousClock.now - started
        }
        return summary
    }

    /// Brings the 5m, 1h and 1d rollups up to date with the 1-minute bars written since the last refresh
    /// (`pulse_refresh_rollups`, their one writer; concurrent callers take turns). Returns the rollup rows
    /// written or deleted.
    @discardableResult
    public func refreshRollups(timeout: Duration? = nil) async throws -> Int {
        let result = try await connection.query("SELECT pulse_refresh_rollups()", timeout: timeout)
        return Int(try result.int(0, 0) ?? 0)
    }

    private func writeBars(
        _ bars: StoredBars, symbolID: Int32, timeframe: String, source: String,
        beforeCommit: () async throws -> Void
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
    /// Staged rows equal to the stored ones are left out before the upsert: `ON CONFLICT DO UPDATE … WHERE` would
    /// still lock (and so write) every conflicting row it then does not update, which made an unchanged re-import
    /// of a year cost three times the read.
    static let upsertFromStaging = """
        INSERT INTO bars AS b (\(columns))
        SELECT \(columns) FROM pulse_bars_staging s
        WHERE NOT EXISTS (
            SELECT 1 FROM bars o
            WHERE o.symbol_id = s.symbol_id AND o.timeframe = s.timeframe AND o.ts = s.ts
                AND (o.open, o.high, o.low, o.close, o.volume)
                    IS NOT DISTINCT FROM (s.open, s.high, s.low, s.close, s.volume))
        ON CONFLICT (symbol_id, timeframe, ts) DO UPDATE
        SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
            volume = EXCLUDED.volume
        WHERE (b.open, b.high, b.low, b.close, b.volume)
            IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
        """

    static func copyPayload(_ bars: StoredBars, symbolID: Int32, timeframe: String) -> [UInt8] {
        var writer = BinaryCopyWriter(reservingBytes: bars.count * (2 + 8 * 4 + 4 + timeframe.utf8.count + 8 + 5 * 8))
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
