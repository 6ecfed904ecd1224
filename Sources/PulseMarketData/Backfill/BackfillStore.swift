/// Where a backfill's bars and its progress go — the ingestion ledger in PostgreSQL in production, so the
/// bars of a month and the record that the month is done are written in one transaction (a crash never leaves
/// one without the other, so a resumed job neither skips nor duplicates a month).
public protocol BackfillStore: Sendable {
    /// The months (`YYYY-MM`) of `job` already committed.
    func completedMonths(of job: BackfillJob.ID) async throws -> Set<String>

    /// Writes `bars` (oldest first, validated) and marks `month` of `job` done, atomically. Writing the same
    /// month again must be harmless (bars upserted by (symbol, timeframe, time)).
    func commit(_ bars: AlphaVantageBars, month: String, of job: BackfillJob.ID) async throws

    /// Records that `job` runs (its identity and size), before anything is fetched.
    func begin(_ job: BackfillJob) async throws

    /// Records how a run of `job` ended.
    func finish(_ job: BackfillJob.ID, _ status: BackfillStatus) async throws
}

extension BackfillStore {
    public func begin(_ job: BackfillJob) async throws {}
    public func finish(_ job: BackfillJob.ID, _ status: BackfillStatus) async throws {}
}

/// How a run of a backfill ended, as its store records it.
public enum BackfillStatus: Sendable, Equatable {
    case completed
    /// Waiting: a spent quota or a rate limit; run again after `retryAfter`.
    case paused(retryAfter: Duration, reason: String)
    /// An error retrying cannot fix (a bad call, a premium endpoint, bad data).
    case failed(String)
}

/// A ``BackfillStore`` in memory: for tests and for runs that need no durability. Bars are kept per month, so
/// a month committed twice replaces itself.
public actor InMemoryBackfillStore: BackfillStore {
    private var months: [BackfillJob.ID: [String: AlphaVantageBars]] = [:]
    /// Every commit in order (a month twice means it was fetched twice).
    public private(set) var commits: [(job: BackfillJob.ID, month: String, count: Int)] = []

    public init() {}

    public func completedMonths(of job: BackfillJob.ID) -> Set<String> { Set(months[job, default: [:]].keys) }

    public func commit(_ bars: AlphaVantageBars, month: String, of job: BackfillJob.ID) {
        months[job, default: [:]][month] = bars
        commits.append((job, month, bars.bars.count))
    }

    /// All bar times of `job`, in month order.
    public func timestamps(of job: BackfillJob.ID) -> [Int64] {
        months[job, default: [:]].sorted { $0.key < $1.key }.flatMap { $0.value.bars.timestamps ?? [] }
    }
}
