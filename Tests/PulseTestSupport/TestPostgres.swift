import Foundation

/// A private PostgreSQL for one test, started by the project's own `scripts/postgres.sh` on a free loopback port
/// in a temporary folder, so the test may stop and start it (the shared test database must never be stopped).
public final class TestPostgres: Sendable {
    public let directory: String
    public let port: Int

    public init() async throws {
        directory = NSTemporaryDirectory() + "pulse-pg-\(UUID().uuidString)"
        port = try TestRedis.freePort()
        try await start()
    }

    /// The database `pulse` the script creates.
    public var url: String { "postgresql://postgres@127.0.0.1:\(port)/pulse" }

    public func start() async throws { try await ProjectScript.run("postgres.sh", arguments("start")) }
    public func stop() async throws { try await ProjectScript.run("postgres.sh", arguments("stop")) }

    /// Stops the server and removes its folder (blocking: for `defer`).
    public func remove() {
        try? ProjectScript.runBlocking("postgres.sh", arguments("stop"))
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func arguments(_ command: String) -> [String] {
        [command, "--data", directory, "--port", String(port)]
    }
}
