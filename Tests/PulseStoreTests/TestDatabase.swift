import PulseIO
import PulseStore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The PostgreSQL the test script started (`PULSE_TEST_DATABASE_URL`). Without it the suites skip with
/// that reason outside CI; under `CI=true` they run and fail, so a missing database never passes as a skip.
enum TestDatabase {
    static func environment(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        let value = String(cString: raw)
        return value.isEmpty ? nil : value
    }

    static let url = environment("PULSE_TEST_DATABASE_URL")
    static let inCI = ["true", "1", "yes"].contains(environment("CI")?.lowercased() ?? "")
    /// Whether the PostgreSQL suites run: a database is configured, or CI demands they run (and fail).
    static let enabled = url != nil || inCI

    static func configuration() throws -> PostgresConfiguration {
        guard let url else {
            Issue.record("PULSE_TEST_DATABASE_URL is not set: scripts/test.sh starts PostgreSQL and sets it")
            throw PostgresError(.invalidConfiguration, "PULSE_TEST_DATABASE_URL is not set")
        }
        return try PostgresConfiguration(url: url)
    }

    /// Runs `body` on a fresh event loop (as the task's executor), with a connection to the test database.
    static func withConnection(
        _ configure: @Sendable (inout PostgresConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Void
    ) async throws {
        var configuration = try configuration()
        configure(&configuration)
        try await withLoop { [configuration] loop in
            let connection = try await PostgresConnection.connect(to: configuration, on: loop)
            defer { connection.close() }
            try await body(connection)
        }
    }

    /// Runs `body` with `loop` as the task executor, then stops the loop.
    static func withLoop(_ body: @escaping @Sendable (EventLoop) async throws -> Void) async throws {
        let loop = try EventLoop()
        defer {
            loop.stop()
            loop.join()
        }
        try await Task(executorPreference: loop) { try await body(loop) }.value
    }

    /// A name no other test uses (symbols, tables, databases).
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
    }
}

/// The trait every PostgreSQL suite carries.
let requiresPostgres = ConditionTrait.enabled(
    if: TestDatabase.enabled, "PULSE_TEST_DATABASE_URL is not set (scripts/test.sh starts a PostgreSQL and sets it)")

extension TestDatabase {
    /// Runs `body` with the configuration of a new, empty database on the test server, dropped afterwards.
    static func withFreshDatabase(_ body: @escaping @Sendable (PostgresConfiguration) async throws -> Void)
        async throws
    {
        let name = uniqueName("pulse_test")
        try await withConnection { connection in
            try await connection.query("CREATE DATABASE \(name)")
        }
        var configuration = try configuration()
        configuration.set("dbname", to: name)
        do {
            try await body(configuration)
        } catch {
            try? await dropDatabase(name)
            throw error
        }
        try await dropDatabase(name)
    }

    private static func dropDatabase(_ name: String) async throws {
        try await withConnection { connection in
            try await connection.query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
    }

    /// Connects to `configuration` on a fresh loop and runs `body`.
    static func withConnection(
        to configuration: PostgresConfiguration, _ body: @escaping @Sendable (PostgresConnection) async throws -> Void
    ) async throws {
        try await withLoop { loop in
            let connection = try await PostgresConnection.connect(to: configuration, on: loop)
            defer { connection.close() }
            try await body(connection)
        }
    }
}
