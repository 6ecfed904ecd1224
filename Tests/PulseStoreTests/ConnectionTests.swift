import Dispatch
import PulseIO
import PulseStore
import Synchronization
import Testing

@Suite("PostgresConnection against a real PostgreSQL", requiresPostgres)
struct ConnectionTests {
    @Test func selectsWithParametersInTextAndBinary() async throws {
        try await TestDatabase.withConnection { connection in
            let text = try await connection.query(
                "SELECT $1::int8 + 1 AS n, $2::text || '!' AS s, $3::float8 * 2 AS x, $4::bool AS b, NULL::int AS z",
                [.int(41), .text("hi"), .double(1.25), .bool(true)])
            #expect(text.rowCount == 1)
            #expect(text.columnName(0) == "n")
            #expect(try text.int(0, 0) == 42)
            #expect(text.string(0, 1) == "hi!")
            #expect(try text.double(0, 2) == 2.5)
            #expect(try text.bool(0, 3) == true)
            #expect(text.isNull(0, 4))
            let binary = try await connection.query(
                "SELECT $1::int8 + 1, $2::float8 * 2, $3::bool, $4::int4",
                [.int(41), .double(1.25), .bool(false), .int32(-7)],
                binaryResults: true)
            #expect(try binary.int(0, 0) == 42)
            #expect(try binary.double(0, 1) == 2.5)
            #expect(try binary.bool(0, 2) == false)
            #expect(try binary.int(0, 3) == -7)
        }
    }

    /// timestamptz in binary is int8 µs since 2000-01-01 UTC; float8 is IEEE-754 big-endian. The values are
    /// worked out by hand: 2024-03-11 13:30:00 UTC is 1_710_163_800 s after the Unix epoch.
    @Test func decodesBinaryTimestampAndFloatColumns() async throws {
        try await TestDatabase.withConnection { connection in
            let result = try await connection.query(
                """
                SELECT ts, x FROM (VALUES
                    ('2000-01-01 00:00:00+00'::timestamptz, 0.1::float8),
                    ('2024-03-11 09:30:00-04'::timestamptz, -1e300::float8),
                    ('1999-12-31 23:59:59.5+00'::timestamptz, 4.9e-324::float8)) AS v (ts, x)
                """, binaryResults: true)
            #expect(try result.timestampColumn(0) == [946_684_800_000_000, 1_710_163_800_000_000, 946_684_799_500_000])
            #expect(try result.float8Column(1) == [0.1, -1e300, Double.leastNonzeroMagnitude])
            let echoed = try await connection.query(
                "SELECT $1::timestamptz = '2024-03-11 13:30:00+00', $1::timestamptz",
                [.timestamp(seconds: 1_710_163_800)], binaryResults: true)
            #expect(try echoed.bool(0, 0) == true)
            #expect(try echoed.timestamp(0, 1) == 1_710_163_800_000_000)
        }
    }

    @Test func pipelineAnswersEveryStatementInOneRoundTrip() async throws {
        try await TestDatabase.withConnection { connection in
            var statements: [PostgresStatement] = [.prepare(name: "double_it", sql: "SELECT $1::int8 * 2")]
            for i in 0..<100 { statements.append(.execute("double_it", [.int(Int64(i))])) }
            let outcomes = try await connection.pipeline(statements)
            #expect(outcomes.count == 101)
            for i in 0..<100 { #expect(try outcomes[i + 1].get().int(0, 0) == Int64(2 * i)) }
            // A failure aborts the rest of that pipeline and the connection carries on.
            let mixed = try await connection.pipeline([
                .query("SELECT 1"), .query("SELECT * FROM no_such_table_xyz"), .query("SELECT 3"),
            ])
            #expect(try mixed[0].get().int(0, 0) == 1)
            #expect(throws: PostgresError.self) { try mixed[1].get() }
            if case .failure(let error) = mixed[1] { #expect(error.sqlState == "42P01") }
            #expect(throws: PostgresError.self) { try mixed[2].get() }
            #expect(try await connection.query("SELECT 4").int(0, 0) == 4)
            #expect(try await connection.execute(prepared: "double_it", [.int(21)]).int(0, 0) == 42)
        }
    }

    @Test func aLargePipelineFlushesUnderWriteInterest() async throws {
        try await TestDatabase.withConnection { connection in
            let table = TestDatabase.uniqueName("pipeline_test")
            try await connection.query("CREATE TEMP TABLE \(table) (id int8 PRIMARY KEY, note text)")
            let note = String(repeating: "x", count: 200)  // ~1.5 MB of statements: more than one socket buffer
            let inserts = (0..<5_000).map { i in
                PostgresStatement.query("INSERT INTO \(table) VALUES ($1, $2)", [.int(Int64(i)), .text(note)])
            }
            let outcomes = try await connection.pipeline(inserts + [.query("SELECT count(*), sum(id) FROM \(table)")])
            #expect(outcomes.count == 5_001)
            #expect(try outcomes.dropLast().allSatisfy { try $0.get().affectedRows == 1 })
            let total = try outcomes[5_000].get()
            #expect(try total.int(0, 0) == 5_000 && total.int(0, 1) == 4_999 * 5_000 / 2)
        }
    }

    /// A statement in flight never holds the loop: its timers fire on time meanwhile.
    @Test func theLoopRunsWhileAStatementIsInFlight() async throws {
        try await TestDatabase.withConnection { connection in
            let loop = connection.loop
            let start = ContinuousClock.now
            let ticks = TickCounter()
            for i in 1...5 {
                loop.scheduleTimer(afterNanoseconds: UInt64(i) * 50_000_000) {
                    ticks.record(ContinuousClock.now - start)
                }
            }
            try await connection.query("SELECT pg_sleep(0.4)")
            #expect(ticks.times.count == 5)
            for (i, time) in ticks.times.enumerated() {
                #expect(time < .milliseconds(50 * (i + 1) + 100), "tick \(i + 1) late: \(time)")
            }
        }
    }

    @Test func binaryCopyRoundTrip() async throws {
        try await TestDatabase.withConnection { connection in
            let table = TestDatabase.uniqueName("copy_test")
            try await connection.query(
                "CREATE TABLE \(table) (id int4, name text, ts timestamptz, x float8, n int8)")
            let rows = 50_000  // a few MB: more than libpq's buffer, so writing waits for writability
            var writer = BinaryCopyWriter()
            for i in 0..<rows {
                writer.beginRow(fields: 5)
                writer.appendInt32(Int32(i))
                if i % 7 == 0 { writer.appendNull() } else { writer.appendText("row \(i) ✓") }
                writer.appendTimestamp(microseconds: 1_700_000_000_000_000 + Int64(i) * 60_000_000)
                writer.appendDouble(Double(i) / 3)
                writer.appendInt64(Int64(i) << 33)
            }
            let copied = try await connection.copyIn(
                "COPY \(table) (id, name, ts, x, n) FROM STDIN (FORMAT binary)", data: writer.finish())
            #expect(copied == rows)
            let check = try await connection.query(
                """
                SELECT count(*), count(name), sum(id)::int8, min(ts) = to_timestamp(1700000000),
                       max(ts) = to_timestamp(1700000000 + 60 * \(rows - 1)), max(n), bool_and(name LIKE '%✓')
                FROM \(table)
                """)
            #expect(try check.int(0, 0) == Int64(rows))
            #expect(try check.int(0, 1) == Int64(rows - (rows + 6) / 7))
            #expect(try check.int(0, 2) == Int64(rows * (rows - 1) / 2))
            #expect(try check.bool(0, 3) == true)
            #expect(try check.bool(0, 4) == true)
            #expect(try check.int(0, 5) == Int64(rows - 1) << 33)
            #expect(try check.bool(0, 6) == true)
            let back = try await connection.query("SELECT x FROM \(table) ORDER BY id", binaryResults: true)
            let xs = try back.float8Column(0)
            #expect(xs.count == rows && xs[3] == 1.0 && xs[rows - 1] == Double(rows - 1) / 3)
            // Bad COPY data fails with the server's error and leaves the connection usable.
            var bad = BinaryCopyWriter()
            bad.beginRow(fields: 2)
            bad.appendInt32(1)
            bad.appendInt32(2)
            await #expect(throws: PostgresError.self) {
                try await connection.copyIn(
                    "COPY \(table) (id, name, ts, x, n) FROM STDIN (FORMAT binary)", data: bad.finish())
            }
            #expect(try await connection.query("SELECT 1").int(0, 0) == 1)
            try await connection.query("DROP TABLE \(table)")
        }
    }

    @Test func serverErrorsCarrySQLState() async throws {
        try await TestDatabase.withConnection { connection in
            do {
                try await connection.query("SELECT * FROM surely_missing_table")
                Issue.record("expected 42P01")
            } catch let error as PostgresError {
                #expect(error.code == .server)
                #expect(error.sqlState == "42P01")
                #expect(error.description.contains("surely_missing_table"))
            }
            let table = TestDatabase.uniqueName("unique_test")
            try await connection.query("CREATE TEMP TABLE \(table) (id int PRIMARY KEY)")
            try await connection.query("INSERT INTO \(table) VALUES (1)")
            do {
                try await connection.query("INSERT INTO \(table) VALUES ($1)", [.int32(1)])
                Issue.record("expected 23505")
            } catch let error as PostgresError {
                #expect(error.sqlState == "23505")
                #expect(error.detail?.contains("(id)=(1)") == true)
            }
            #expect(try await connection.query("SELECT count(*) FROM \(table)").int(0, 0) == 1)
        }
    }

    @Test func connectionErrorsNameNoHostUserOrPassword() async throws {
        let configuration = try PostgresConfiguration(
            url: "postgresql://secretuser:hunter2pass@127.0.0.1:1/secretdb?connect_timeout=3")
        #expect(!configuration.description.contains("hunter2pass"))
        #expect(!configuration.description.contains("secretuser"))
        try await TestDatabase.withLoop { loop in
            do {
                _ = try await PostgresConnection.connect(to: configuration, on: loop)
                Issue.record("connecting to port 1 should fail")
            } catch let error as PostgresError {
                #expect(error.code == .connectionFailed)
                for secret in ["hunter2pass", "secretuser", "127.0.0.1", "secretdb", "port 1 "] {
                    #expect(!error.description.contains(secret), "\(secret) leaked: \(error)")
                }
                #expect(error.description.contains("refused"))
            }
        }
        // A wrong password (or user) on the real server: the server's words, still without the names.
        var wrongUser = try TestDatabase.configuration()
        wrongUser.set("user", to: "no_such_role_q7")
        wrongUser.set("password", to: "s3cretpw")
        try await TestDatabase.withLoop { [wrongUser] loop in
            do {
                _ = try await PostgresConnection.connect(to: wrongUser, on: loop)
                Issue.record("an unknown role should be refused")
            } catch let error as PostgresError {
                #expect(error.code == .connectionFailed)
                #expect(!error.description.contains("no_such_role_q7"))
                #expect(!error.description.contains("s3cretpw"))
                #expect(!error.description.contains("127.0.0.1"))
            }
        }
        #expect(throws: PostgresError.self) {
            try PostgresConfiguration(url: "postgresql://a:b@host/x?no_such_option=1")
        }
    }

    @Test func deadlineCancelsTheStatementAndTheConnectionCarriesOn() async throws {
        try await TestDatabase.withConnection { connection in
            let start = ContinuousClock.now
            do {
                try await connection.query("SELECT pg_sleep(10)", timeout: .milliseconds(200))
                Issue.record("the deadline should cancel pg_sleep")
            } catch let error as PostgresError {
                #expect(error.code == .timedOut)
            }
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect(try await connection.query("SELECT 5").int(0, 0) == 5)
        }
    }

    /// The cancel of a statement past its deadline runs on the configured blocking pool (libpq 15's `PQcancel`
    /// blocks): while the pool's one thread is held, the statement keeps running a second past its deadline;
    /// once the thread is free, the cancel goes out and the statement ends (its own 30 s are far off).
    @Test func deadlineCancelRunsOnTheConfiguredBlockingPool() async throws {
        let pool = try BlockingPool(threads: 1)
        defer { pool.shutdown() }
        let held = DispatchSemaphore(value: 0)
        let marker = TestDatabase.uniqueName("cancel_on_pool")
        let running = "SELECT pg_sleep(30) /* \(marker) */"
        let observer = try TestDatabase.configuration()
        let seen = ProbeCount()
        // Another session, on a loop of its own: is the statement running a second after it started (its deadline
        // long past), and does it end once the pool is free?
        try await TestDatabase.withConnection({ $0.blockingPool = pool }) { connection in
            pool.submit { held.wait() }  // after connecting: its one thread is now taken
            let probing = Task { [observer, running, held, seen] in
                try await TestDatabase.withLoop { loop in
                    let probe = try await PostgresConnection.connect(to: observer, on: loop)
                    defer { probe.close() }
                    func active() async throws -> Int64 {
                        try await probe.query(
                            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = $1",
                            [.text(running)]
                        ).int(0, 0) ?? -1
                    }
                    var deadline = ContinuousClock.now + .seconds(20)
                    while try await active() == 0 && ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    try await Task.sleep(for: .seconds(1))
                    seen.value.store(Int(try await active()), ordering: .relaxed)
                    held.signal()
                    deadline = ContinuousClock.now + .seconds(20)
                    while try await active() == 1 && ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    seen.value.add(try await active() == 0 ? 10 : 0, ordering: .relaxed)
                }
            }
            do {
                try await connection.query(running, timeout: .milliseconds(200))
                Issue.record("the deadline should cancel pg_sleep")
            } catch let error as PostgresError {
                #expect(error.code == .timedOut)
            }
            try await probing.value
        }
        // 1: running a second past its deadline while the pool was held; + 10: ended once it was free.
        #expect(seen.value.load(ordering: .relaxed) == 11)
    }

    @Test func statementTimeoutIsSetOnEveryConnection() async throws {
        try await TestDatabase.withConnection({ $0.statementTimeout = .milliseconds(150) }) { connection in
            #expect(try await connection.query("SHOW statement_timeout").string(0, 0) == "150ms")
            do {
                try await connection.query("SELECT pg_sleep(5)")
                Issue.record("statement_timeout should stop pg_sleep")
            } catch let error as PostgresError {
                #expect(error.sqlState == "57014")
            }
            #expect(try await connection.query("SHOW application_name").string(0, 0) == "pulse")
        }
    }

    @Test func aKilledSessionFailsItsCallsAsConnectionClosed() async throws {
        try await TestDatabase.withConnection { connection in
            let pid = try await connection.query("SELECT pg_backend_pid()").int(0, 0)!
            try await TestDatabase.withConnection { other in
                try await other.query("SELECT pg_terminate_backend($1::int4)", [.int(pid)])
            }
            do {
                try await connection.query("SELECT 1")
                Issue.record("a terminated session cannot answer")
            } catch let error as PostgresError {
                #expect(error.code == .connectionClosed || error.code == .server)
            }
            #expect(!connection.isUsable)
        }
    }
}

/// Times recorded by loop timers (touched on the loop only).
final class TickCounter: @unchecked Sendable {
    private(set) var times: [Duration] = []
    func record(_ time: Duration) { times.append(time) }
}

/// What a probe session saw, shared with the test.
private final class ProbeCount: Sendable {
    let value = Atomic<Int>(-1)
}
