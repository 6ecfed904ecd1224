import PulseIO
import PulseMarketData
import PulseStore
import PulseTestSupport
import Testing

@Suite("Symbol ownership in PostgreSQL: advisory locks, epochs, high-water marks", requiresPostgres, .serialized)
struct PostgresOwnershipTests {
    @Test(
        "one owner at a time; a terminated backend's lock is taken back unless another owner came; epochs fence the log"
    )
    func ownershipAndFencing() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { admin in
                try await SchemaMigrations.apply(on: admin)
                let redisServer = try await TestRedis()
                defer { redisServer.remove() }
                let loop = admin.loop
                let redis = RedisClient(configuration: try RedisConfiguration(url: redisServer.url), loop: loop)
                defer { Task { await redis.close() } }
                #expect(await redis.waitUntilConnected(timeout: .seconds(5)))
                let log = TickLog(redis: redis)
                let first = PostgresOwnership(configuration: configuration, loop: loop, log: log, instance: "a")
                let second = PostgresOwnership(configuration: configuration, loop: loop, log: log, instance: "b")
                defer {
                    first.close()
                    second.close()
                }
                let lease = try #require(try await first.acquire("AAPL"))
                #expect(lease.epoch == 1 && lease.highWater == 0)
                #expect(try await second.acquire("AAPL") == nil)  // the lock is held
                try await log.append(
                    "AAPL", epoch: lease.epoch, (1...20).map { TickLog.Entry(sequence: $0, timeMs: 0, price: 1) })
                #expect(try await first.renew(lease, highWater: 20))

                // The owner's backend is terminated (an operator, a failover): its lock is gone.
                // Only the backend holding this symbol's lock in this database (other suites run in parallel).
                let key = PostgresOwnership.lockKey("AAPL")
                let backends = try await admin.query(
                    """
                    SELECT pid FROM pg_locks
                    WHERE locktype = 'advisory' AND granted AND objsubid = 1
                      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                      AND classid::bigint = $1 AND objid::bigint = $2
                    """, [.int((key >> 32) & 0xFFFF_FFFF), .int(key & 0xFFFF_FFFF)])
                #expect(backends.rowCount == 1)
                let pid = try #require(try backends.int(0, 0))
                try await admin.query("SELECT pg_terminate_backend($1::int)", [.int(pid)])
                try await Task.sleep(for: .milliseconds(200))
                // Nobody took the symbol meanwhile (the epoch is still ours): the owner takes its lock back.
                #expect(try await first.renew(lease, highWater: 20))
                #expect(try await second.acquire("AAPL") == nil)
                let again = try await admin.query(
                    """
                    SELECT pid FROM pg_locks
                    WHERE locktype = 'advisory' AND granted AND objsubid = 1
                      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                      AND classid::bigint = $1 AND objid::bigint = $2
                    """, [.int((key >> 32) & 0xFFFF_FFFF), .int(key & 0xFFFF_FFFF)])
                let retaken = try #require(try again.int(0, 0))
                try await admin.query("SELECT pg_terminate_backend($1::int)", [.int(retaken)])
                try await Task.sleep(for: .milliseconds(200))

                // The next owner continues the numbering from the high-water mark and fences the old one off; the
                // old owner, back on a new session, finds the lock taken and the epoch moved on.
                let taken = try #require(try await second.acquire("AAPL"))
                #expect(taken.epoch == 2 && taken.highWater == 20)
                #expect(try await first.renew(lease, highWater: 20) == false)
                let error = await #expect(throws: RedisError.self) {
                    try await log.append("AAPL", epoch: lease.epoch, [TickLog.Entry(sequence: 21, timeMs: 0, price: 1)])
                }
                #expect(error?.message.hasPrefix("FENCED") == true)
                try await log.append("AAPL", epoch: taken.epoch, [TickLog.Entry(sequence: 21, timeMs: 0, price: 2)])
                #expect(try await second.renew(taken, highWater: 21))

                // Redis restarted empty: the numbering still continues from PostgreSQL's high-water mark.
                try await redis.command("FLUSHALL")
                second.close()
                let third = PostgresOwnership(configuration: configuration, loop: loop, log: log, instance: "c")
                defer { third.close() }
                let after = try #require(try await third.acquire("AAPL"))
                #expect(after.epoch == 3 && after.highWater == 21)
                let stored = try await admin.query(
                    "SELECT epoch, high_water, owner FROM symbol_owners WHERE symbol = 'AAPL'")
                #expect(try stored.int(0, 0) == 3 && stored.string(0, 2) == "c")
            }
        }
    }
}
