import PulseIO
import Synchronization
import Testing

@testable import PulseStore

@Suite("PostgresPool", requiresPostgres)
struct PoolTests {
    @Test func manyTasksShareAFewSessions() async throws {
        let configuration = try TestDatabase.configuration()
        try await TestDatabase.withLoop { loop in
            var options = PostgresPool.Options()
            options.maxConnections = 3
            let pool = PostgresPool(configuration: configuration, loop: loop, options: options)
            let pids = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for task in 0..<20 {
                    group.addTask(executorPreference: loop) {
                        var seen: [Int64] = []
                        for step in 0..<5 {
                            let result = try await pool.query(
                                "SELECT pg_backend_pid(), $1::int8", [.int(Int64(task * 10 + step))])
                            #expect(try result.int(0, 1) == Int64(task * 10 + step))
                            seen.append(try result.int(0, 0)!)
                        }
                        return seen
                    }
                }
                var all: Set<Int64> = []
                for try await seen in group { all.formUnion(seen) }
                return all
            }
            #expect(pids.count <= 3)
            #expect(pool.openConnections <= 3)
            pool.close()
        }
    }

    @Test func aBrokenSessionIsReplaced() async throws {
        let configuration = try TestDatabase.configuration()
        try await TestDatabase.withLoop { loop in
            var options = PostgresPool.Options()
            options.maxConnections = 1
            let pool = PostgresPool(configuration: configuration, loop: loop, options: options)
            let first = try await pool.query("SELECT pg_backend_pid()").int(0, 0)!
            try await TestDatabase.withConnection { other in
                try await other.query("SELECT pg_terminate_backend($1::int4)", [.int(first)])
            }
            try await loop.sleep(nanoseconds: 200_000_000)  // the idle session notices the server closing it
            let second = try await pool.query("SELECT pg_backend_pid()").int(0, 0)!
            #expect(second != first)
            // A session left inside a transaction is not lent again.
            let third = try await pool.withConnection { connection in
                try await connection.query("BEGIN")
                return try await connection.query("SELECT pg_backend_pid()").int(0, 0)!
            }
            #expect(third == second)
            #expect(try await pool.query("SELECT pg_backend_pid()").int(0, 0)! != third)
            pool.close()
        }
    }

    @Test func failedConnectsBackOff() async throws {
        let unreachable = try PostgresConfiguration(url: "postgresql://postgres@127.0.0.1:1/pulse")
        try await TestDatabase.withLoop { loop in
            var options = PostgresPool.Options()
            options.initialBackoff = .milliseconds(400)
            let pool = PostgresPool(configuration: unreachable, loop: loop, options: options)
            await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            let start = ContinuousClock.now
            await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            // 400 ms ± 20 % jitter, counted from the failure.
            #expect(ContinuousClock.now - start >= .milliseconds(250))
            #expect(pool.backoff(after: 30) <= .seconds(6))
            #expect(pool.openConnections == 0)
            pool.close()
        }
    }
}

@Suite("Cancellation and name resolution", requiresPostgres)
struct CancellationTests {
    @Test func cancellingTheTaskCancelsTheStatement() async throws {
        let configuration = try TestDatabase.configuration()
        try await TestDatabase.withLoop { loop in
            var options = PostgresPool.Options()
            options.maxConnections = 1
            let pool = PostgresPool(configuration: configuration, loop: loop, options: options)
            let pid = try await pool.query("SELECT pg_backend_pid()").int(0, 0)
            let start = ContinuousClock.now
            let sleeper = Task(executorPreference: loop) { try await pool.query("SELECT pg_sleep(10)") }
            try await loop.sleep(nanoseconds: 150_000_000)
            sleeper.cancel()
            await #expect(throws: CancellationError.self) { try await sleeper.value }
            #expect(ContinuousClock.now - start < .seconds(3))
            // The same session answers the next call: cancelling a statement does not cost the connection.
            #expect(try await pool.query("SELECT pg_backend_pid()").int(0, 0) == pid)
            pool.close()
        }
    }

    @Test func hostNamesAreResolvedBeforeConnecting() async throws {
        var configuration = try TestDatabase.configuration()
        guard configuration.value(of: "host") == "127.0.0.1" else { return }
        configuration.set("host", to: "localhost")  // may resolve to ::1 as well: each address is tried
        let byName = configuration
        try await TestDatabase.withConnection(to: byName) { connection async throws in
            #expect(try await connection.query("SELECT 1").int(0, 0) == 1)
        }
        configuration.set("host", to: "no-such-host.invalid")
        let unresolvable = configuration
        try await TestDatabase.withLoop { loop in
            do {
                _ = try await PostgresConnection.connect(to: unresolvable, on: loop)
                Issue.record("an unresolvable name cannot connect")
            } catch let error as PostgresError {
                #expect(error.code == .connectionFailed)
                #expect(!error.description.contains("no-such-host"))
            }
        }
    }
}
