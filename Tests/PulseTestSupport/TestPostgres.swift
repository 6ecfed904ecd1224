import Foundation

/// A private PostgreSQL for one test, started by the project's own `scripts/postgres.sh` on a free loopback port
/// in a temporary folder, so the test may stop and start it (the shared test database must never be stopped).
public final class TestPostgres: Sendable {
    public let directory: String
    public let port: Int

    public init() throws {
        directory = NSTemporaryDirectory() + "pulse-pg-\(UUID().uuidString)"
        port = try TestRedis.freePort()
        try start()
    }

    /// The database `pulse` the script creates.
    public var url: String { "postgresql://postgres@127.0.0.1:\(port)/pulse" }

    public func start() throws { try script("start") }
    public func stop() throws { try script("stop") }

    public func remove() {
        try? stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func script(_ command: String) throws {
        try ProjectScript.run("postgres.sh", [command, "--data", directory, "--port", String(port)])
    }
}
