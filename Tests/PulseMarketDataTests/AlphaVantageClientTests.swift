import PulseAnalytics
import PulseIO
import PulseStore
import PulseTestSupport
import Synchronization
import Testing

@testable import PulseMarketData

@Suite("AlphaVantageClient against the fake server")
struct AlphaVantageClientTests {
    static func client(
        _ fake: FakeAlphaVantage, _ http: HTTPClient, key: String = "demo", attempts: Int = 4,
        pacer: any RequestPacer = UnlimitedPacer()
    ) -> AlphaVantageClient {
        let configuration = AlphaVantageConfiguration(
            apiKey: key, baseURL: fake.baseURL,
            retry: RetryPolicy(
                maximumAttempts: attempts, initialDelay: .milliseconds(5), maximumDelay: .milliseconds(20)),
            rateLimitPause: .milliseconds(10))
        return AlphaVantageClient(configuration: configuration, http: http, pacer: pacer)
    }

    @Test("Every small shape through the real request path")
    func smallShapes() async throws {
        try await FakeAlphaVantage.with { fake, http in
            let client = Self.client(fake, http)
            #expect(try await client.globalQuote(symbol: "IBM").price == 166.85)
            #expect(try await client.globalQuote(symbol: "IBM", format: .csv).changePercent == 0.7183)
            #expect(try await client.symbolSearch(keywords: "IBM").count == 2)
            let intraday = try await client.intraday(symbol: "IBM", interval: .fiveMinutes)
            #expect(intraday.bars.count == 4 && intraday.bars.timestamps?.last == utc("2024-05-31 23:55:00"))
            let csv = try await client.intraday(symbol: "IBM", interval: .fiveMinutes, format: .csv)
            #expect(csv.bars.close == [166.85, 166.9])
            #expect(try await client.daily(symbol: "IBM").bars.count == 2)
            #expect(try await client.daily(symbol: "IBM", format: .csv).bars.close == [165.66, 166.85])
        }
    }

    @Test(
        "A month of 1-minute bars across the start of daylight saving time, JSON and CSV",
        arguments: [AlphaVantageFormat.json, .csv])
    func monthAcrossDST(format: AlphaVantageFormat) async throws {
        try await FakeAlphaVantage.with { fake, http in
            let client = Self.client(fake, http)
            let march = try await client.intraday(
                symbol: "IBM", interval: .oneMinute, outputSize: .full, month: "2024-03", format: format)
            let times = try #require(march.bars.timestamps)
            // 20 sessions (Good Friday, 2024-03-29, closed) × 960 minutes (04:00–19:59 US/Eastern).
            #expect(times.count == 20 * 960)
            #expect(march.warnings.isEmpty)
            #expect(times.first == utc("2024-03-01 09:00:00"))  // 04:00 EST
            #expect(times.last == utc("2024-03-28 23:59:00"))  // 19:59 EDT
            // Friday 2024-03-08 is the 6th session, Monday 2024-03-11 the 7th: DST began in between.
            #expect(times[6 * 960 - 1] == utc("2024-03-09 00:59:00"))  // 19:59 EST
            #expect(times[6 * 960] == utc("2024-03-11 08:00:00"))  // 04:00 EDT
            #expect(march.bars.labels[6 * 960] == "2024-03-11 04:00:00")
            #expect(zip(times, times.dropFirst()).allSatisfy { $1 > $0 })
        }
    }

    @Test("Daily history across a 2-for-1 split: raw prices halve, nothing is refused")
    func dailyAcrossSplit() async throws {
        try await FakeAlphaVantage.with { fake, http in
            let client = Self.client(fake, http)
            for format in [AlphaVantageFormat.json, .csv] {
                let daily = try await client.daily(symbol: "SPLT", outputSize: .full, format: format)
                let labels = daily.bars.labels
                #expect(labels.first == "2023-06-01" && labels.last == "2024-05-31")
                let split = try #require(labels.firstIndex(of: "2024-02-15"))
                let ratio = daily.bars.close[split - 1] / daily.bars.open[split]
                #expect(ratio > 1.9 && ratio < 2.1)
                #expect(daily.bars.timestamps?[split] == utc("2024-02-15"))
            }
        }
    }

    @Test("Bad calls, spent quotas and premium endpoints are not retried")
    func notRetried() async throws {
        try await FakeAlphaVantage.with { fake, http in
            let client = Self.client(fake, http)
            for (symbol, code) in [
                ("BADCALL", AlphaVantageError.Code.invalidCall), ("QUOTA", .dailyQuotaExhausted),
                ("PREMIUM", .premiumEndpoint),
            ] {
                do {
                    _ = try await client.daily(symbol: symbol)
                    Issue.record("\(symbol) succeeded")
                } catch let error as AlphaVantageError {
                    #expect(error.code == code)
                    #expect(!error.description.contains("demo"))
                }
                #expect(try await fake.requestCount(symbol: symbol, http: http) == 1)
            }
        }
    }

    @Test("A Note is retried after a pause until data comes, within the attempts allowed")
    func noteRetried() async throws {
        try await FakeAlphaVantage.with { fake, http in
            let client = Self.client(fake, http, attempts: 4)
            #expect(try await client.daily(symbol: "NOTE2").bars.count > 200)
            #expect(try await fake.requestCount(symbol: "NOTE2", http: http) == 3)
            do {
                _ = try await client.daily(symbol: "NOTE9")
                Issue.record("NOTE9 succeeded")
            } catch let error as AlphaVantageError {
                #expect(error.code == .rateLimited)
            }
            #expect(try await fake.requestCount(symbol: "NOTE9", http: http) == 4)
        }
    }

    @Test("An unreachable server is a transport error without the key, after the retries")
    func unreachable() async throws {
        let port = try TestRedis.freePort()
        try await withHTTPClient { http in
            let configuration = AlphaVantageConfiguration(
                apiKey: "TOPSECRET", baseURL: "http://127.0.0.1:\(port)/query",
                retry: RetryPolicy(maximumAttempts: 2, initialDelay: .milliseconds(5)))
            do {
                _ = try await AlphaVantageClient(configuration: configuration, http: http).globalQuote(symbol: "IBM")
                Issue.record("succeeded")
            } catch let error as AlphaVantageError {
                #expect(error.code == .transport && error.isRetryable)
                #expect(!error.description.contains("TOPSECRET"))
            }
        }
    }
}

@Suite("RedisRequestPacer")
struct RequestPacerTests {
    @Test("Two instances share one daily budget: never more requests than the quota between them")
    func sharedDailyBudget() async throws {
        try await TestRedis.withTwoClients { _, redisA, redisB in
            try await FakeAlphaVantage.with { fake, http in
                let httpB = try HTTPClient(loop: redisB.loop)
                let clients = [(redisA, http), (redisB, httpB)].map { redis, http in
                    AlphaVantageClientTests.client(
                        fake, http, key: "shared-key",
                        pacer: RedisRequestPacer(redis: redis, apiKey: "shared-key", dailyLimit: 5))
                }
                let outcomes = await withTaskGroup(of: AlphaVantageError.Code?.self) { group in
                    for i in 0..<12 {
                        group.addTask {
                            do {
                                _ = try await clients[i % 2].globalQuote(symbol: "IBM")
                                return nil
                            } catch {
                                return (error as? AlphaVantageError)?.code ?? .malformedResponse
                            }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 == nil }.count == 5)
                #expect(outcomes.filter { $0 == .dailyQuotaExhausted }.count == 7)
                #expect(try await fake.requestCount(symbol: "IBM", http: http) == 5)
                await httpB.close()
            }
        }
    }

    @Test("The budget returns at midnight US/Eastern; the key never reaches Redis")
    func dailyWindow() async throws {
        try await TestRedis.with { _, redis in
            let clock = Clock(utc("2024-03-08 23:00:00"))  // 18:00 EST
            let pacer = RedisRequestPacer(redis: redis, apiKey: "K-SECRET", dailyLimit: 2, now: { clock.now })
            try await pacer.acquire()
            try await pacer.acquire()
            do {
                try await pacer.acquire()
                Issue.record("a third request was granted")
            } catch let error as AlphaVantageError {
                #expect(error.code == .dailyQuotaExhausted)
                let wait = try #require(error.retryAfter)
                #expect(wait > .seconds(6 * 3600) && wait <= .seconds(7 * 3600))  // TTL: 6 h to midnight + 1 h slack
            }
            clock.now = utc("2024-03-09 05:00:01")  // 00:00:01 EST the next day
            try await pacer.acquire()
            let keys = try await redis.command("KEYS", "*").array ?? []
            #expect(keys.count == 2 && keys.allSatisfy { !($0.string ?? "").contains("K-SECRET") })
        }
    }

    @Test("A full minute window is waited out, or refused when the wait is too long")
    func minuteWindow() async throws {
        try await TestRedis.with { _, redis in
            let clock = Clock(utc("2024-03-08 15:00:10"))
            let pacer = RedisRequestPacer(
                redis: redis, apiKey: "K", dailyLimit: 0, perMinuteLimit: 2, maximumWait: .zero, now: { clock.now })
            try await pacer.acquire()
            try await pacer.acquire()
            do {
                try await pacer.acquire()
                Issue.record("a third request in the minute was granted")
            } catch let error as AlphaVantageError {
                #expect(error.code == .rateLimited)
            }
            clock.now += 60
            try await pacer.acquire()
        }
    }
}

@Suite("The in-process request pacer (no Redis)")
struct LocalRequestPacerTests {
    @Test("Two a day: the third is refused until midnight US/Eastern, across the DST change")
    func dailyWindow() async throws {
        let clock = Clock(utc("2024-03-09 23:00:00"))  // 18:00 EST on the Saturday before the change
        let pacer = LocalRequestPacer(dailyLimit: 2, now: { clock.now })
        try await pacer.acquire()
        try await pacer.acquire()
        do {
            try await pacer.acquire()
            Issue.record("a third request was granted")
        } catch let error as AlphaVantageError {
            #expect(error.code == .dailyQuotaExhausted)
            let wait = try #require(error.retryAfter)
            // Its count is kept to midnight EST (05:00 UTC, 6 h away) plus an hour of slack.
            #expect(wait == .seconds(7 * 3600))
        }
        clock.now = utc("2024-03-10 04:59:59")  // 23:59:59 EST: still the full day
        await #expect(throws: AlphaVantageError.self) { try await pacer.acquire() }
        clock.now = utc("2024-03-10 05:00:00")  // 00:00 EST, a new day (which will be 23 hours long)
        try await pacer.acquire()
        try await pacer.acquire()
        await #expect(throws: AlphaVantageError.self) { try await pacer.acquire() }
        clock.now = utc("2024-03-11 04:00:00")  // 00:00 EDT: the short day is over
        try await pacer.acquire()
    }

    @Test("A full minute is refused when its wait is longer than allowed, and granted in the next minute")
    func minuteWindow() async throws {
        let clock = Clock(utc("2024-03-08 15:00:59"))
        let refusing = LocalRequestPacer(dailyLimit: 0, perMinuteLimit: 2, maximumWait: .zero, now: { clock.now })
        try await refusing.acquire()
        try await refusing.acquire()
        do {
            try await refusing.acquire()
            Issue.record("a third request in the minute was granted")
        } catch let error as AlphaVantageError {
            #expect(error.code == .rateLimited)
        }
        clock.now += 1
        try await refusing.acquire()
    }
}

/// A settable clock for the pacer.
final class Clock: Sendable {
    private let value: Atomic<Int64>
    init(_ start: Int64) { value = Atomic(start) }
    var now: Int64 {
        get { value.load(ordering: .relaxed) }
        set { value.store(newValue, ordering: .relaxed) }
    }
}
