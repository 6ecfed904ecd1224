import PulseIO
import PulseStore
import PulseTestSupport
import Synchronization
import Testing

@testable import PulseServer

@Suite("Per-key rate limits: local buckets, and instances reconciled through a real Redis", .serialized)
struct RateLimiterTests {
    @Test func withoutRedisOneInstanceHoldsTheBurstThenTheRate() async {
        let limiter = RateLimiter(redis: nil, interval: .milliseconds(100))
        var admitted = 0
        var retry: Int64 = 0
        for _ in 0..<20 {
            switch await limiter.admit(keyID: 1, rate: 10, burst: 5) {
            case .admitted: admitted += 1
            case .limited(let after): retry = after
            }
        }
        // 20 calls in far less than 100 ms: the 5 of the burst, perhaps one more token earned meanwhile.
        #expect(admitted >= 5 && admitted <= 6)
        #expect(retry > 0 && retry <= 100)
    }

    /// Two limiters are two instances: each has its own buckets, they share only Redis. Both call as fast as they
    /// can for at least two seconds, and on until each has been served (a machine busy with the parallel suites may
    /// leave these tasks unscheduled for most of the two seconds; 15 s is the cap). Together they must stay within
    /// 10 % of `burst + rate × elapsed`, be served past the burst, and neither instance may be starved by the other.
    @Test func twoInstancesTogetherHoldTheKeysRate() async throws {
        try await TestRedis.with { _, redis in
            let rate = 200.0
            let burst = 20
            let first = RateLimiter(redis: redis, interval: .milliseconds(100))
            let second = RateLimiter(redis: redis, interval: .milliseconds(100))
            let reconcilers = [Task { await first.run() }, Task { await second.run() }]
            let admittedBy = Tally()
            let clock = ContinuousClock()
            let start = clock.now
            let atLeast = start + .seconds(2)
            let cap = start + .seconds(15)
            let goOn: @Sendable () -> Bool = {
                let now = clock.now
                if now >= cap { return false }
                return now < atLeast || admittedBy.counts.withLock { $0.contains(0) }
            }
            await withTaskGroup(of: Void.self) { group in
                for (index, limiter) in [first, second].enumerated() {
                    group.addTask {
                        while goOn() {
                            if case .admitted = await limiter.admit(keyID: 42, rate: rate, burst: burst) {
                                admittedBy.counts.withLock { $0[index] += 1 }
                            } else {
                                try? await Task.sleep(for: .milliseconds(1))
                            }
                        }
                    }
                }
            }
            let elapsed = (clock.now - start) / .seconds(1)
            for task in reconcilers { task.cancel() }
            let counts = admittedBy.counts.withLock { $0 }
            let allowed = Double(burst) + rate * elapsed
            let total = Double(counts.reduce(0, +))
            #expect(total <= allowed * 1.10, "admitted \(counts) in \(elapsed) s; allowed \(allowed)")
            #expect(total > Double(burst), "admitted \(counts) in \(elapsed) s; burst \(burst)")
            #expect(counts.allSatisfy { $0 > 0 }, "both instances were served: \(counts) in \(elapsed) s")
        }
    }

    @Test func whenRedisGoesAwayBucketsFallBackToLocalRefill() async throws {
        try await TestRedis.with { server, redis in
            let limiter = RateLimiter(redis: redis, interval: .milliseconds(100))
            #expect(await limiter.admit(keyID: 7, rate: 1000, burst: 10) == .admitted)
            try await server.stop()
            // The next lease fails; the limiter switches to local buckets and keeps admitting at the rate.
            var admitted = 0
            for _ in 0..<50 {
                if case .admitted = await limiter.admit(keyID: 7, rate: 1000, burst: 10) { admitted += 1 }
                try await Task.sleep(for: .milliseconds(2))
            }
            #expect(admitted > 10)
        }
    }
}

/// Calls admitted per instance, shared by the calling tasks.
private final class Tally: Sendable {
    let counts = Mutex<[Int]>([0, 0])
}
