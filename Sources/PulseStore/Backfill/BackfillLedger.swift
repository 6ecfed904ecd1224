/// The progress of resumable backfills in PostgreSQL (`backfill_jobs`, `backfill_units`): which units (months,
/// or `full` for a daily series) of a job are committed, and whether the job runs, waits, finished or failed.
///
/// ``markCommitted(_:unit:barCount:)`` is meant to run inside the transaction that writes the unit's bars
/// (``BarStore/write(_:symbolID:timeframe:source:beforeCommit:)``'s `beforeCommit`), so progress and bars are
/// committed together.
///
/// ```swift
/// let ledger = BackfillLedger(connection: connection)
/// try await ledger.register(BackfillRecord(id: "IBM/daily/full", symbol: "IBM", series: "daily", …))
/// let done = try await ledger.completedUnits(of: "IBM/daily/full")
/// ```
public struct BackfillLedger {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    /// Records `job` (its identity and size) as running. A job already known keeps its committed units; a
    /// completed one stays completed, a paused one stays paused until its `resume_after` (a spent quota is not
    /// unspent by asking again), a failed one — or a paused one whose wait is over — runs again.
    public func register(_ job: BackfillRecord) async throws {
        try await connection.query(
            """
            INSERT INTO backfill_jobs (id, symbol, series, from_month, through_month, extended_hours, units_total)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (id) DO UPDATE
            SET state = CASE WHEN backfill_jobs.state = 'completed' THEN 'completed'
                             WHEN \(Self.waiting) THEN 'paused' ELSE 'running' END,
                resume_after = CASE WHEN \(Self.waiting) THEN backfill_jobs.resume_after END,
                last_error = CASE WHEN \(Self.waiting) THEN backfill_jobs.last_error END,
                updated_at = now()
            """,
            [
                .text(job.id), .text(job.symbol), .text(job.series), .text(job.fromMonth), .text(job.throughMonth),
                .bool(job.extendedHours), .int32(Int32(clamping: job.unitsTotal)),
            ])
    }

    /// A paused job whose wait is not over.
    static let waiting = "backfill_jobs.state = 'paused' AND backfill_jobs.resume_after > now()"

    /// The units of `job` already committed.
    public func completedUnits(of job: String) async throws -> Set<String> {
        let result = try await connection.query("SELECT unit FROM backfill_units WHERE job_id = $1", [.text(job)])
        return Set((0..<result.rowCount).compactMap { result.string($0, 0) })
    }

    /// Marks `unit` of `job` committed with `barCount` bars (again: the count is replaced).
    public func markCommitted(_ job: String, unit: String, barCount: Int) async throws {
        try await connection.query(
            """
            INSERT INTO backfill_units (job_id, unit, bar_count) VALUES ($1, $2, $3)
            ON CONFLICT (job_id, unit) DO UPDATE SET bar_count = EXCLUDED.bar_count, committed_at = now()
            """, [.text(job), .text(unit), .int32(Int32(clamping: barCount))])
    }

    /// Sets the state of `job`; `resumeAfter` (µs since the Unix epoch) for a paused job, `error` for a failed one.
    public func setState(_ job: String, _ state: BackfillState, resumeAfter: Int64? = nil, error: String? = nil)
        async throws
    {
        try await connection.query(
            """
            UPDATE backfill_jobs SET state = $2, resume_after = $3, last_error = $4, updated_at = now()
            WHERE id = $1
            """,
            [
                .text(job), .text(state.rawValue), resumeAfter.map { .timestamp(microseconds: $0) } ?? .null,
                error.map { .text($0) } ?? .null,
            ])
    }

    /// One job with its progress, or nil.
    public func job(_ id: String) async throws -> BackfillRecord? {
        try await records(where: "j.id = $1", [.text(id)]).first
    }

    /// Jobs not finished (running or paused), oldest first: what a restarted process resumes.
    public func unfinished() async throws -> [BackfillRecord] {
        try await records(where: "j.state IN ('running', 'paused')", [])
    }

    /// Every job of `symbol`, oldest first.
    public func jobs(symbol: String) async throws -> [BackfillRecord] {
        try await records(where: "j.symbol = $1", [.text(symbol)])
    }

    private func records(where condition: String, _ parameters: [PostgresValue]) async throws -> [BackfillRecord] {
        let result = try await connection.query(
            """
            SELECT j.id, j.symbol, j.series, j.from_month, j.through_month, j.extended_hours, j.units_total,
                   j.state, j.resume_after, j.last_error,
                   (SELECT count(*) FROM backfill_units u WHERE u.job_id = j.id),
                   (SELECT coalesce(sum(bar_count), 0) FROM backfill_units u WHERE u.job_id = j.id)
            FROM backfill_jobs j WHERE \(condition) ORDER BY j.created_at, j.id
            """, parameters, binaryResults: true)
        return try (0..<result.rowCount).map { row throws(PostgresError) in
            var record = BackfillRecord(
                id: result.string(row, 0) ?? "", symbol: result.string(row, 1) ?? "",
                series: result.string(row, 2) ?? "", fromMonth: result.string(row, 3) ?? "",
                throughMonth: result.string(row, 4) ?? "", extendedHours: try result.bool(row, 5) ?? true,
                unitsTotal: Int(try result.int(row, 6) ?? 0))
            record.state = BackfillState(rawValue: result.string(row, 7) ?? "") ?? .running
            record.resumeAfter = try result.timestamp(row, 8)
            record.lastError = result.string(row, 9)
            record.unitsDone = Int(try result.int(row, 10) ?? 0)
            record.barsCommitted = Int(try result.int(row, 11) ?? 0)
            return record
        }
    }
}

@available(*, unavailable)
extension BackfillLedger: Sendable {}

/// Where a backfill stands.
public enum BackfillState: String, Sendable, CaseIterable {
    case running, paused, completed, failed
}

/// One row of `backfill_jobs` with its progress.
public struct BackfillRecord: Sendable, Equatable {
    public var id: String
    public var symbol: String
    /// `1min` … `60min`, or `daily`.
    public var series: String
    public var fromMonth: String
    public var throughMonth: String
    public var extendedHours: Bool
    public var unitsTotal: Int
    public var unitsDone = 0
    public var barsCommitted = 0
    public var state: BackfillState = .running
    /// When a paused job may run again, µs since the Unix epoch.
    public var resumeAfter: Int64?
    public var lastError: String?

    public init(
        id: String, symbol: String, series: String, fromMonth: String, throughMonth: String, extendedHours: Bool,
        unitsTotal: Int
    ) {
        self.id = id
        self.symbol = symbol
        self.series = series
        self.fromMonth = fromMonth
        self.throughMonth = throughMonth
        self.extendedHours = extendedHours
        self.unitsTotal = unitsTotal
    }
}
