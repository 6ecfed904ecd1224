import Foundation
import PulseIO
import PulseStore
import Synchronization

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

    /// A loopback port nothing listens on now, below the kernel's ephemeral range (32768–60999 on Linux).
    ///
    /// Not the kernel's pick for port 0: that comes from the ephemeral range, where every outgoing connection of
    /// the parallel suite also takes its local port, so a server that a test stops and starts on the same port
    /// could find it taken by a client socket in between (CI saw PostgreSQL's restart fail that way). Ports are
    /// never handed out twice in one process.
    public static func freePort() throws -> Int {
        try handedOut.withLock { used in
            for _ in 0..<2_000 {
                let port = Int.random(in: 20_000..<32_000)
                guard !used.contains(port), canBind(port) else { continue }
                used.insert(port)
                return port
            }
            throw ScriptFailed(command: "bind", status: EADDRINUSE)
        }
    }

    private static let handedOut = Mutex(Set<Int>())

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
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

    /// ``with(aof:configure:_:)`` with a second client of the same server on a loop of its own: two instances
    /// sharing one Redis.
    public static func withTwoClients<T>(_ body: (TestRedis, RedisClient, RedisClient) async throws -> T)
        async throws -> T
    {
        try await with { server, first in
            let loop = try EventLoop(index: 1)
            defer {
                loop.stop()
                loop.join()
            }
            let second = RedisClient(configuration: try RedisConfiguration(url: server.url), loop: loop)
            guard await second.waitUntilConnected(timeout: .seconds(5)) else {
                await second.close()
                throw ScriptFailed(command: "connect", status: -1)
            }
            do {
                let result = try await body(server, first, second)
                await second.close()
                return result
            } catch {
                await second.close()
                throw error
            }
        }
    }
}
