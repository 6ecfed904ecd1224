import PulseStore
import PulseTestSupport
import Synchronization
import Testing

@testable import PulseMarketData

@Suite("BackfillJob: month by month, resumable")
struct BackfillJobTests {
    /// Sessions × 960 one-minute bars (04:00–19:59 US/Eastern), counted by hand from the 2024 calendar: January
    /// 23 weekdays − New Year's Day − MLK Day, February 21 − Presidents' Day, March 21 − Good Friday, April 22.
    static let expectedBars = (21 + 20 + 20 + 22) * 960

    @Test("A spent daily quota pauses the job; the next day it finishes, no month twice, no hole")
    func pausedByQuota() async throws {
        try await TestRedis.with { _, redis in
            try await FakeAlphaVantage.with { fake, http in
                let clock = Clock(utc("2024-06-03 15:00:00"))
                let pacer = RedisRequestPacer(redis: redis, apiKey: "backfill", dailyLimit: 2, now: { clock.now })
                let client = AlphaVantageClientTests.client(fake, http, key: "backfill", pacer: pacer)
                let store = InMemoryBackfillStore()
                let events = Mutex<[BarsIngestedEvent]>([])
                let job = try BackfillJob(symbol: "BKFL", interval: .oneMinute, from: "2024-01", through: "2024-04")
                let record: @Sendable (BarsIngestedEvent) async -> Void = { event in
                    events.withLock { $0.append(event) }
                }

                let first = try await job.run(client: client, store: store, onCommitted: record)
                guard case .paused(let wait, completed: 2, remaining: 2) = first else {
                    Issue.record("expected a pause after two months, got \(first)")
                    return
                }
                #expect(wait > .seconds(3600))
                // Same day again: nothing is sent, nothing changes.
                let again = try await job.run(client: client, store: store, onCommitted: record)
                #expect(again == .paused(retryAfter: again.wait, completed: 2, remaining: 2))
                #expect(try await fake.requestCount(symbol: "BKFL", http: http) == 2)

                clock.now += 86_400
                #expect(try await job.run(client: client, store: store, onCommitted: record) == .completed(months: 4))
                let commits = await store.commits.map(\.month)
                #expect(commits == ["2024-01", "2024-02", "2024-03", "2024-04"])
                let times = await store.timestamps(of: job.id)
                #expect(times.count == Self.expectedBars)
                #expect(zip(times, times.dropFirst()).allSatisfy { $1 > $0 })
                #expect(times.first == utc("2024-01-02 09:00:00") && times.last == utc("2024-04-30 23:59:00"))
                let emitted = events.withLock { $0 }
                #expect(emitted.map(\.count).reduce(0, +) == Self.expectedBars)
                #expect(emitted.first?.timeframe == "1m" && emitted.first?.from == utc("2024-01-02 09:00:00"))
            }
        }
    }

    @Test("A failure while committing stops the job; the rerun continues from that month")
    func resumedAfterFailure() async throws {
        try await FakeAlphaVantage.with { fake, http in
            let client = AlphaVantageClientTests.client(fake, http)
            let store = FailingOnce(failing: "2024-03")
            let job = try BackfillJob(symbol: "BKF2", interval: .oneMinute, from: "2024-01", through: "2024-04")
            await #expect(throws: FailingOnce.Crash.self) { try await job.run(client: client, store: store) }
            #expect(await store.inner.commits.map(\.month) == ["2024-01", "2024-02"])
            #expect(try await job.run(client: client, store: store) == .completed(months: 4))
            #expect(await store.inner.commits.map(\.month) == ["2024-01", "2024-02", "2024-03", "2024-04"])
            #expect(await store.inner.timestamps(of: job.id).count == Self.expectedBars)
            #expect(try await fake.requestCount(symbol: "BKF2", http: http) == 5)  // March fetched twice
        }
    }

    @Test("A rate limit the retries cannot wait out pauses briefly; a premium endpoint or a bad call fails")
    func stopsByKind() async throws {
        try await FakeAlphaVantage.with { fake, http in
            // NOTE3 answers the legacy Note three times, then data; one attempt per call cannot wait it out.
            let impatient = AlphaVantageClientTests.client(fake, http, key: "notes", attempts: 1)
            let store = InMemoryBackfillStore()
            let job = try BackfillJob(symbol: "NOTE3", interval: .fiveMinutes, from: "2024-01", through: "2024-02")
            for _ in 0..<3 {
                let outcome = try await job.run(client: impatient, store: store)
                #expect(outcome == .paused(retryAfter: .milliseconds(10), completed: 0, remaining: 2))
            }
            #expect(try await job.run(client: impatient, store: store) == .completed(months: 2))
            for symbol in ["PREMIUM", "BADCALL"] {
                let failing = BackfillJob.daily(symbol: symbol)
                await #expect(throws: AlphaVantageError.self) { try await failing.run(client: impatient, store: store) }
            }
            #expect(try await fake.requestCount(symbol: "PREMIUM", http: http) == 1)
            // The daily job is one unit: the whole series in one request.
            let daily = BackfillJob.daily(symbol: "SPLT")
            #expect(daily.months == ["full"] && daily.timeframe == "1d")
            #expect(try await daily.run(client: impatient, store: store) == .completed(months: 1))
            #expect(await store.timestamps(of: daily.id).count > 240)
        }
    }

    @Test("Months of a job; bad ranges refused")
    func months() throws {
        let job = try BackfillJob(symbol: "X", interval: .fiveMinutes, from: "2023-11", through: "2024-02")
        #expect(job.months == ["2023-11", "2023-12", "2024-01", "2024-02"])
        #expect(job.id.rawValue == "X/5min/2023-11/2024-02")
        #expect(throws: AlphaVantageError.self) {
            try BackfillJob(symbol: "X", interval: .oneMinute, from: "2024-02", through: "2024-01")
        }
        #expect(throws: AlphaVantageError.self) {
            try BackfillJob(symbol: "X", interval: .oneMinute, from: "1999-12", through: "2000-01")
        }
    }
}

/// A store whose commit of one month fails once, as a crash between fetch and commit would.
actor FailingOnce: BackfillStore {
    struct Crash: Error {}
    let inner = InMemoryBackfillStore()
    private var failing: String?

    init(failing: String) { self.failing = failing }

    func completedMonths(of job: BackfillJob.ID) async throws -> Set<String> { await inner.completedMonths(of: job) }

    func commit(_ bars: AlphaVantageBars, month: String, of job: BackfillJob.ID) async throws {
        if month == failing {
            failing = nil
            throw Crash()
        }
        await inner.commit(bars, month: month, of: job)
    }
}

extension BackfillJob.Outcome {
    fileprivate var wait: Duration {
        if case .paused(let wait, _, _) = self { return wait }
        return .zero
    }
}
