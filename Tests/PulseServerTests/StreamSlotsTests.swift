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

    @Test("An instance that stops renewing (it died) frees its slots within the lease; renewed ones stay")
    func leases() async throws {
        try await TestRedis.with { _, redis in
            #expect(await redis.waitUntilConnected(timeout: .seconds(5)))
            let dead = StreamSlots(redis: redis, leaseTTL: .milliseconds(800), renewInterval: .milliseconds(200))
            let alive = StreamSlots(redis: redis, leaseTTL: .milliseconds(800), renewInterval: .milliseconds(200))
            let renewing = Task { await alive.run() }
            defer { renewing.cancel() }
            _ = try #require(await dead.acquire(keyID: 5, limit: 2))  // never renewed: `dead.run()` is not running
            _ = try #require(await alive.acquire(keyID: 5, limit: 2))
            let other = StreamSlots(redis: redis)
            #expect(await other.acquire(keyID: 5, limit: 2) == nil)
            try await Task.sleep(for: .milliseconds(1500))  // the dead lease ended, the renewed one did not
            _ = try #require(await other.acquire(keyID: 5, limit: 2))
            #expect(await other.acquire(keyID: 5, limit: 2) == nil)
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
