import PulseIO
import PulseStore
import Synchronization
import Testing

@Suite("Schema migrations", requiresPostgres)
struct MigrationTests {
    @Test func bundledMigrationsAreNumberedFromOne() throws {
        let migrations = try SchemaMigrations.bundled()
        #expect(migrations.first?.version == 1)
        // Increasing and unique; branches developed in parallel take number ranges of their own, so gaps are fine.
        #expect(migrations.map(\.version) == migrations.map(\.version).sorted())
        #expect(Set(migrations.map(\.version)).count == migrations.count)
    }

    @Test func applyingTwiceAppliesOnce() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { connection in
                let all = try SchemaMigrations.bundled().map(\.version)
                #expect(try await SchemaMigrations.apply(on: connection) == all)
                #expect(try await SchemaMigrations.apply(on: connection) == [])
                let recorded = try await connection.query("SELECT count(*) FROM schema_migrations")
                #expect(try recorded.int(0, 0) == Int64(all.count))
                let tables = try await connection.query(
                    "SELECT count(*) FROM pg_class WHERE relname IN ('symbols', 'bars') AND relkind IN ('r', 'p')")
                #expect(try tables.int(0, 0) == 2)
                // The session is left as it was: no lock held, the configured statement_timeout back.
                let locks = try await connection.query(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
                #expect(try locks.int(0, 0) == 0)
                #expect(try await connection.query("SHOW statement_timeout").string(0, 0) == "30s")
            }
        }
    }

    @Test func twoConnectionsMigratingAtOnceApplyEachFileOnce() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            let results = Collected()
            // A slow first migration widens the window in which both would apply it without the lock.
            let migrations = [
                Migration(version: 1, name: "slow", sql: "SELECT pg_sleep(0.3); CREATE TABLE slow_one (id int);"),
                Migration(version: 2, name: "second", sql: "CREATE TABLE second_one (id int);"),
            ]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await TestDatabase.withConnection(to: configuration) { connection in
                            let applied = try await SchemaMigrations.apply(migrations, on: connection)
                            results.values.withLock { $0.append(applied) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let all = results.values.withLock { $0 }
            #expect(all.count == 3)
            #expect(all.flatMap { $0 }.sorted() == [1, 2])
            try await TestDatabase.withConnection(to: configuration) { connection in
                let rows = try await connection.query("SELECT version FROM schema_migrations ORDER BY version")
                #expect(rows.rowCount == 2)
            }
        }
    }

    @Test func aChangedAppliedMigrationIsRefused() async throws {
        try await TestDatabase.withFreshDatabase { configuration in
            try await TestDatabase.withConnection(to: configuration) { connection in
                let original = [Migration(version: 1, name: "t", sql: "CREATE TABLE t1 (id int);")]
                try await SchemaMigrations.apply(original, on: connection)
                let edited = [Migration(version: 1, name: "t", sql: "CREATE TABLE t1 (id bigint);")]
                do {
                    try await SchemaMigrations.apply(edited, on: connection)
                    Issue.record("an edited migration must be refused")
                } catch let error as PostgresError {
                    #expect(error.code == .migration)
                }
                // A failing migration rolls back entirely and is not recorded.
                let broken = original + [Migration(version: 2, name: "bad", sql: "CREATE TABLE t2 (id int); SELEC 1;")]
                await #expect(throws: PostgresError.self) { try await SchemaMigrations.apply(broken, on: connection) }
                let t2 = try await connection.query("SELECT to_regclass('t2') IS NULL")
                #expect(try t2.bool(0, 0) == true)
                #expect(try await connection.query("SELECT max(version) FROM schema_migrations").int(0, 0) == 1)
            }
        }
    }
}

final class Collected: Sendable {
    let values = Mutex<[[Int]]>([])
}
