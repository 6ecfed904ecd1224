import Foundation
import PulseIO
import PulseStore

/// A private Redis for one test, started by the project's own `scripts/redis.sh` on a free loopback port in
/// a temporary folder, so a test may stop and restart it. A missing `redis-server` fails the test.
public final class TestRedis: Sendable {
    public let directory: String
    public let port: Int
    public let aof: Bool
    /// Further `redis-server` options (`["--key-load-delay", "1000"]`).
    public let serverOptions: [String]

    public init(aof: Bool = false, serverOptions: [String] = []) async throws {
        directory = NSTemporaryDirectory() + "pulse-redis-\(UUID().uuidString)"
        port = try Self.freePort()
        self.aof = aof
        self.serverOptions = serverOptions
        try await start()
    }

    public var url: String { "redis://127.0.0.1:\(port)" }

    public func start() async throws { try await ProjectScript.run("redis.sh", arguments("start")) }
    public func stop() async throws { try await ProjectScript.run("redis.sh", arguments("stop")) }

    /// Stops the server and removes its folder (blocking: for `defer`).
    public func remove() {
        try? ProjectScript.runBlocking("redis.sh", arguments("stop"))
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func arguments(_ command: String) -> [String] {
        [command, directory, String(port)] + (aof ? ["--aof"] : []) + serverOptions
    }

    public struct ScriptFailed: Error { var command: String; var status: Int32 }

    /// A port nothing listens on now: bind port 0, read it back, close.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ScriptFailed(command: "bind", status: errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs `body` with a started Redis and a client on a fresh loop, then tears all down.
    public static func with<T>(
        aof: Bool = false, configure: (inout RedisConfiguration) -> Void = { _ in },
        _ body: (TestRedis, RedisClient) async throws -> T
    ) async throws -> T {
        let server = try await TestRedis(aof: aof)
        defer { server.remove() }
        let loop = try EventLoop(index: 0)
        defer {
            loop.stop()
            loop.join()
        }
        var configuration = try RedisConfiguration(url: server.url)
        configure(&configuration)
        let client = RedisClient(configuration: configuration, loop: loop)
        guard await client.waitUntilConnected(timeout: .seconds(5)) else {
            await client.close()
            throw ScriptFailed(command: "connect", status: -1)
        }
        do {
            let result = try await body(server, client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}
