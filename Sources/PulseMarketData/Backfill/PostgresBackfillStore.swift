import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// A ``BackfillStore`` in PostgreSQL: each unit's bars go into `bars` through ``BarStore`` (binary COPY for a
/// new range, staged upsert over an overlap, a row in the ingestion ledger), and the unit's row in
/// `backfill_units` is written inside the same transaction, just before COMMIT — so a process killed at any
/// point leaves either both or neither, and the resumed job fetches exactly the units that are missing.
///
/// Runs on its pool's loop (the caller's task prefers that loop as its executor).
public struct PostgresBackfillStore: BackfillStore {
    public let pool: PostgresPool
    /// Recorded with the symbol when it is new, and in the ingestion ledger as `<source>:<function>`.
    public let source: String

    public init(pool: PostgresPool, source: String = "alphavantage") {
        self.pool = pool
        self.source = source
    }

    public func begin(_ job: BackfillJob) async throws {
        try await pool.withConnection { connection in
            try await BackfillLedger(connection: connection).register(
                BackfillRecord(
                    id: job.id.rawValue, symbol: job.symbol, series: job.seriesName, fromMonth: job.from,
                    throughMonth: job.through, extendedHours: job.extendedHours, unitsTotal: job.months.count))
        }
    }

    public func completedMonths(of job: BackfillJob.ID) async throws -> Set<String> {
        try await pool.withConnection { try await BackfillLedger(connection: $0).completedUnits(of: job.rawValue) }
    }

    public func commit(_ bars: AlphaVantageBars, month: String, of job: BackfillJob.ID) async throws {
        let stored = Self.storedBars(bars)
        let symbol = bars.symbol
        let timeframe = Self.timeframe(interval: bars.interval)
        let batchSource = "\(source):\(bars.interval == "1d" ? "TIME_SERIES_DAILY" : "TIME_SERIES_INTRADAY")"
        let source = self.source
        try await pool.withConnection { connection in
            let store = BarStore(connection: connection)
            let ledger = BackfillLedger(connection: connection)
            guard !stored.isEmpty else {
                // A month without bars (before the listing, a market closure) is done too.
                try await ledger.markCommitted(job.rawValue, unit: month, barCount: 0)
                return
            }
            let id = try await store.symbolID(for: symbol, source: source)
            _ = try await store.write(stored, symbolID: id, timeframe: timeframe, source: batchSource) {
                try await ledger.markCommitted(job.rawValue, unit: month, barCount: stored.count)
                try Self.failpoint(month)
            }
        }
    }

    public func finish(_ job: BackfillJob.ID, _ status: BackfillStatus) async throws {
        try await pool.withConnection { connection in
            let ledger = BackfillLedger(connection: connection)
            switch status {
            case .completed:
                try await ledger.setState(job.rawValue, .completed)
            case .paused(let wait, let reason):
                let resume = Self.nowMicroseconds() + Int64(clamping: wait.wholeNanoseconds / 1000)
                try await ledger.setState(job.rawValue, .paused, resumeAfter: resume, error: reason)
            case .failed(let reason):
                try await ledger.setState(job.rawValue, .failed, error: reason)
            }
        }
    }

    /// Alpha Vantage's bars as the store's columns (times in µs; no volume column → 0).
    static func storedBars(_ bars: AlphaVantageBars) -> StoredBars {
        let series = bars.bars
        return StoredBars(
            timestamps: (series.timestamps ?? []).map { $0 * 1_000_000 }, open: series.open, high: series.high,
            low: series.low, close: series.close,
            volume: series.volume ?? Array(repeating: 0, count: series.count))
    }

    /// `1min` → `1m`, …, `60min` → `1h`, `1d` stays.
    static func timeframe(interval: String) -> String {
        IntradayInterval(rawValue: interval).map(BackfillJob.timeframe) ?? interval
    }

    /// `PULSE_FAILPOINT=backfill-before-commit:YYYY-MM` kills the process inside that unit's transaction, after
    /// its bars and ledger row are written and before COMMIT (the crash tests).
    static func failpoint(_ unit: String) throws {
        guard let raw = getenv("PULSE_FAILPOINT") else { return }
        if String(cString: raw) == "backfill-before-commit:\(unit)" { kill(getpid(), SIGKILL) }
    }

    public static func nowMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }
}
