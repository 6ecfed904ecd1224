import PulseIO
import PulseStore
import PulseTestSupport
import Testing

@testable import PulseServer

@Suite("Open-stream slots per key, shared by instances through Redis")
struct StreamSlotsTests {
    /// Waits (up to 5 s) until `condition` holds.
    private func eventually(_ condition: () async -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test("Two instances never hold more than the key's limit between them; a released slot is free again")
    func sharedLimit() async throws {
        try await TestRedis.withTwoClients { _, redisA, redisB in
            let a = StreamSlots(redis: redisA)
            let b = StreamSlots(redis: redisB)
            let first = try #require(await a.acquire(keyID: 1, limit: 3))
            _ = try #require(await a.acquire(keyID: 1, limit: 3))
            _ = try #require(await b.acquire(keyID: 1, limit: 3))
            #expect(await a.acquire(keyID: 1, limit: 3) == nil)
            #expect(await b.acquire(keyID: 1, limit: 3) == nil)
            // Another key has slots of its own.
            #expect(await b.acquire(keyID: 2, limit: 1) != nil)
            #expect(a.count(keyID: 1) == 2 && b.count(keyID: 1) == 1)
            a.release(first)
            #expect(try await eventually { await b.acquire(keyID: 1, limit: 3) != nil })
            let members = try await redisA.command("ZCARD", RedisArgument(StreamSlots.key(1))).integer
            #expect(members == 3)
        }
    }

    @Test("Leases are renewed while held; one that ended (its instance died) stops counting")
    func leases() async throws {
        try await TestRedis.with { _, redis in
            // Long leases: nothing here may end by the clock, however slowly the test runs (a starved test run
            // can take seconds between two lines); the end of the dead lease is set by hand below.
            let dead = StreamSlots(redis: redis, leaseTTL: .seconds(120))
            let alive = StreamSlots(redis: redis, leaseTTL: .seconds(120), renewInterval: .milliseconds(100))
            let renewing = Task { await alive.run() }
            defer { renewing.cancel() }
            guard case .shared(_, let deadMember)? = await dead.acquire(keyID: 5, limit: 2),
                case .shared(_, let aliveMember)? = await alive.acquire(keyID: 5, limit: 2)
            else {
                Issue.record("both slots should be shared leases")
                return
            }
            let other = StreamSlots(redis: redis)
            #expect(await other.acquire(keyID: 5, limit: 2) == nil)
            let key = RedisArgument(StreamSlots.key(5))
            func score(_ member: String) async throws -> Double {
                Double(try await redis.command("ZSCORE", key, RedisArgument(member)).string ?? "") ?? -1
            }
            let taken = try await score(aliveMember)
            let deadline = ContinuousClock.now + .seconds(60)
            while try await score(aliveMember) <= taken && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await score(aliveMember) > taken)  // renewed: its lease now ends later
            let deadScore = try await score(deadMember)
            #expect(deadScore == deadScore.rounded() && deadScore > 0)  // never renewed: still its first lease
            // The dead instance's lease ends (as it would 120 s after its last renewal).
            _ = try await redis.command("ZADD", key, "XX", 1, RedisArgument(deadMember))
            _ = try #require(await other.acquire(keyID: 5, limit: 2))
            #expect(await other.acquire(keyID: 5, limit: 2) == nil)  // the renewed one still counts
            #expect(try await redis.command("ZSCORE", key, RedisArgument(deadMember)).string == nil)
        }
    }

    @Test("Without Redis the limit is this instance's own, and a released slot is free at once")
    func localOnly() async throws {
        let slots = StreamSlots()
        #expect(!slots.isShared)
        let one = try #require(await slots.acquire(keyID: 9, limit: 2))
        _ = try #require(slots.acquireLocal(keyID: 9, limit: 2))
        #expect(await slots.acquire(keyID: 9, limit: 2) == nil)
        slots.release(one)
        #expect(await slots.acquire(keyID: 9, limit: 2) != nil)
    }
}
