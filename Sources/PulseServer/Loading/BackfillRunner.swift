import Logging
import PulseIO
import PulseMarketData
import PulseProtocol
import PulseStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs Alpha Vantage backfills in the background, on one loop (where its database pool and HTTP client live):
/// each job runs until it completes or fails, sleeping through pauses (a spent quota until midnight US/Eastern, a
/// rate limit for a minute). Progress is in PostgreSQL, so ``resumeUnfinished()`` at start-up picks up every
/// job a previous process left running or paused, waiting out a pause that has not ended yet.
///
/// Two instances resuming the same job both fetch it (the writes are idempotent upserts, but the quota is spent
/// twice); one instance per database runs backfills today.
public final class BackfillRunner: Sendable {
    let loop: EventLoop
    let store: PostgresBackfillStore
    let client: AlphaVantageClient
    /// The HTTP client under `client`, closed by ``stopAll()`` (nil when the caller owns it).
    let http: HTTPClient?
    /// Where values derived from a symbol's bars are dropped as each unit commits.
    let cache: MarketCache?
    /// Hears of each committed unit ("bars ingested").
    let events: (any BarsIngestedSink)?
    let logger: Logger
    /// Jobs with a task, and whether that task is only waiting out a pause (so a new request may restart it).
    private let tasks = Mutex<[String: (task: Task<Void, Never>, waiting: Bool)]>([:])
    /// The wait after an error that is not Alpha Vantage's (the database went away): the job is tried again.
    let retryAfterFailure: Duration = .seconds(30)

    public init(
        loop: EventLoop, pool: PostgresPool, client: AlphaVantageClient, http: HTTPClient? = nil,
        cache: MarketCache? = nil, events: (any BarsIngestedSink)? = nil, logger: Logger
    ) {
        self.events = events
        self.loop = loop
        self.store = PostgresBackfillStore(pool: pool)
        self.client = client
        self.http = http
        self.cache = cache
        self.logger = logger
    }

    /// Records `job` (again) and makes sure it runs — or, paused, that it waits out its pause; a completed one is
    /// only reported. Returns the job's state as the database has it.
    public func start(_ job: BackfillJob) async throws -> PulseV1.LoadJob {
        let store = self.store
        let record = try await Task(executorPreference: loop) { () async throws -> BackfillRecord? in
            try await store.begin(job)
            return try await store.pool.withConnection { try await BackfillLedger(connection: $0).job(job.id.rawValue) }
        }.value
        guard let record else { throw PostgresError(.protocolViolation, "the backfill job was not recorded") }
        switch record.state {
        case .completed, .failed:
            break
        case .paused:
            let wait = record.resumeAfter.map {
                Duration.microseconds(max(0, $0 - PostgresBackfillStore.nowMicroseconds()))
            }
            launch(job, after: wait, replacingWait: false)
        case .running:
            launch(job, after: nil, replacingWait: true)
        }
        return Self.wire(record)
    }

    /// Starts a task for every unfinished job in the database; while the database cannot be read, tries again
    /// every `retryAfterFailure` (until cancelled).
    public func resumeUnfinished() async {
        let store = self.store
        var records: [BackfillRecord]?
        while records == nil, !Task.isCancelled {
            let unfinished = await Task(executorPreference: loop) { () async -> Result<[BackfillRecord], any Error> in
                do {
                    return .success(
                        try await store.pool.withConnection { try await BackfillLedger(connection: $0).unfinished() })
                } catch {
                    return .failure(error)
                }
            }.value
            switch unfinished {
            case .success(let found):
                records = found
            case .failure(let error):
                logger.warning("backfills not resumed yet, trying again: \(error)")
                try? await Task.sleep(for: retryAfterFailure)
            }
        }
        if let records { resume(records) }
    }

    private func resume(_ records: [BackfillRecord]) {
        let now = PostgresBackfillStore.nowMicroseconds()
        for record in records {
            guard let job = Self.job(record) else { continue }
            let wait = record.resumeAfter.map { Duration.microseconds(max(0, $0 - now)) }
            logger.info(
                "resuming backfill",
                metadata: ["job": "\(record.id)", "done": "\(record.unitsDone)/\(record.unitsTotal)"])
            launch(job, after: record.state == .paused ? wait : nil, replacingWait: false)
        }
    }

    /// Cancels every job's task and waits for them; their progress stays in the database.
    public func stopAll() async {
        let running = tasks.withLock { tasks in
            defer { tasks.removeAll() }
            return tasks.values.map(\.task)
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
        let pool = store.pool
        await Task(executorPreference: loop) { pool.close() }.value
        await http?.close()
    }

    private func launch(_ job: BackfillJob, after wait: Duration?, replacingWait: Bool) {
        let id = job.id.rawValue
        tasks.withLock { tasks in
            if let existing = tasks[id] {
                guard replacingWait, existing.waiting else { return }
                existing.task.cancel()
            }
            let task = Task(executorPreference: loop) { [self] in await self.drive(job, initialWait: wait) }
            tasks[id] = (task, wait != nil)
        }
    }

    private func setWaiting(_ id: String, _ waiting: Bool) {
        tasks.withLock { tasks in tasks[id]?.waiting = waiting }
    }

    /// Runs `job` until it completes, fails or the task is cancelled.
    private func drive(_ job: BackfillJob, initialWait: Duration?) async {
        let id = job.id.rawValue
        var wait = initialWait
        while !Task.isCancelled {
            if let pause = wait {
                setWaiting(id, true)
                do { try await Task.sleep(for: pause) } catch { return }
                setWaiting(id, false)
            }
            do {
                let (cache, events) = (self.cache, self.events)
                let outcome = try await job.run(client: client, store: store) { event in
                    if let cache { _ = try? await cache.invalidate(event.symbol) }
                    events?.publish(event)
                }
                switch outcome {
                case .completed(let months):
                    logger.info("backfill completed", metadata: ["job": "\(id)", "units": "\(months)"])
                    finished(id)
                    return
                case .paused(let retryAfter, let completed, let remaining):
                    logger.info(
                        "backfill paused",
                        metadata: [
                            "job": "\(id)", "done": "\(completed)", "remaining": "\(remaining)",
                            "retry_after": "\(retryAfter)",
                        ])
                    wait = retryAfter
                }
            } catch let error as AlphaVantageError {
                logger.warning("backfill failed", metadata: ["job": "\(id)", "error": "\(error)"])
                finished(id)
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("backfill interrupted, retrying", metadata: ["job": "\(id)", "error": "\(error)"])
                wait = retryAfterFailure
            }
        }
    }

    private func finished(_ id: String) {
        tasks.withLock { tasks in _ = tasks.removeValue(forKey: id) }
    }

    /// The job a database row describes.
    static func job(_ record: BackfillRecord) -> BackfillJob? {
        if record.series == "daily" { return .daily(symbol: record.symbol) }
        guard let interval = IntradayInterval(rawValue: record.series) else { return nil }
        return try? BackfillJob(
            symbol: record.symbol, interval: interval, from: record.fromMonth, through: record.throughMonth,
            extendedHours: record.extendedHours)
    }

    static func wire(_ record: BackfillRecord) -> PulseV1.LoadJob {
        var job = PulseV1.LoadJob()
        job.id = record.id
        switch record.state {
        case .running: job.state = .running
        case .paused: job.state = .paused
        case .completed: job.state = .completed
        case .failed: job.state = .failed
        }
        job.unitsTotal = UInt32(clamping: record.unitsTotal)
        job.unitsDone = UInt32(clamping: record.unitsDone)
        job.barsStored = UInt64(max(0, record.barsCommitted))
        job.resumeAfterTimeMs = (record.resumeAfter ?? 0) / 1000
        job.message = record.lastError ?? ""
        return job
    }
}
