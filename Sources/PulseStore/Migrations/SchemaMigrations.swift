import Foundation

/// One versioned schema change: a file `NNNN_name.sql` among PulseStore's `Migrations` resources.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// FNV-1a (64-bit) of the SQL text, stored when applied so a file changed afterwards is noticed.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

/// Applies versioned migrations: each in its own transaction with its row in `schema_migrations`, under a
/// session advisory lock so two processes starting at once apply each file exactly once (the second waits,
/// then finds nothing to do). Safe to run any number of times.
///
/// ```swift
/// let applied = try await SchemaMigrations.apply(on: connection)   // [1, 2] the first time, [] after
/// ```
public enum SchemaMigrations {
    /// `pg_advisory_lock` key held while migrating.
    public static let lockKey: Int64 = 0x7075_6C73_656D_6967  // "pulsemig"

    /// The migrations shipped with PulseStore, in version order: the `SQL` resource folder built next to the
    /// executable (`PulseTrader_PulseStore.resources/SQL`), or the folder named by `PULSE_MIGRATIONS_DIR`
    /// (for an installed binary whose resource bundle was not copied with it).
    ///
    /// Each file runs in one transaction: it must not contain `BEGIN`/`COMMIT` or statements that refuse to run
    /// in a transaction block (`CREATE INDEX CONCURRENTLY`).
    public static func bundled() throws(PostgresError) -> [Migration] {
        let folder: URL
        if let override = ProcessInfo.processInfo.environment["PULSE_MIGRATIONS_DIR"], !override.isEmpty {
            folder = URL(fileURLWithPath: override)
        } else if let bundled = Bundle.module.url(forResource: "SQL", withExtension: nil) {
            folder = bundled
        } else {
            throw PostgresError(
                .migration, "PulseStore's migration files (resource folder SQL) are missing from the build")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw PostgresError(.migration, "cannot list \(folder.path): \(error)")
        }
        var migrations: [Migration] = []
        for name in names where name.hasSuffix(".sql") {
            let stem = name.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw PostgresError(.migration, "migration file \(name) is not named NNNN_name.sql")
            }
            guard let sql = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else {
                throw PostgresError(.migration, "cannot read migration file \(name)")
            }
            migrations.append(
                Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (earlier, later) in zip(migrations, migrations.dropFirst()) where earlier.version == later.version {
            throw PostgresError(.migration, "two migration files have version \(later.version)")
        }
        return migrations
    }

    /// Applies every migration of `migrations` not yet recorded in `schema_migrations`; returns the versions
    /// applied by this call. Throws ``PostgresError/Code/migration`` when an applied file has since changed.
    @discardableResult
    public static func apply(_ migrations: [Migration]? = nil, on connection: PostgresConnection) async throws
        -> [Int]
    {
        let migrations = try migrations ?? bundled()
        // Waiting for another process's migration may take longer than a statement normally may.
        try await connection.query("SET statement_timeout = 0")
        try await connection.query("SELECT pg_advisory_lock($1)", [.int(lockKey)])
        do {
            let applied = try await applyLocked(migrations, on: connection)
            try await connection.query("SELECT pg_advisory_unlock($1)", [.int(lockKey)])
            try await connection.query("RESET statement_timeout")
            return applied
        } catch {
            if connection.isUsable {
                _ = try? await connection.query("ROLLBACK")
                _ = try? await connection.query("SELECT pg_advisory_unlock($1)", [.int(lockKey)])
                _ = try? await connection.query("RESET statement_timeout")
            }
            throw error
        }
    }

    private static func applyLocked(_ migrations: [Migration], on connection: PostgresConnection) async throws
        -> [Int]
    {
        try await connection.execute(
            script: """
                SET client_min_messages = warning;
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version     integer PRIMARY KEY,
                    name        text NOT NULL,
                    checksum    text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now()
                );
                RESET client_min_messages;
                """)
        let rows = try await connection.query("SELECT version, checksum FROM schema_migrations")
        var recorded: [Int: String] = [:]
        for row in 0..<rows.rowCount {
            if let version = try rows.int(row, 0) { recorded[Int(version)] = rows.string(row, 1) }
        }
        var applied: [Int] = []
        for migration in migrations {
            if let checksum = recorded[migration.version] {
                guard checksum == migration.checksum else {
                    throw PostgresError(
                        .migration,
                        "migration \(migration.version) (\(migration.name)) changed after it was applied; "
                            + "add a new migration instead of editing an applied one")
                }
                continue
            }
            try await connection.withTransaction { connection in
                try await connection.execute(script: migration.sql)
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [.int(Int64(migration.version)), .text(migration.name), .text(migration.checksum)])
            }
            applied.append(migration.version)
        }
        return applied
    }
}
