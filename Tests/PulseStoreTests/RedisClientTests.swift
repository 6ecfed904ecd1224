import Foundation
import PulseIO
import PulseTestSupport
import Testing

@testable import PulseStore

@Suite("Redis client against a real Redis", .serialized)
struct RedisClientTests {
    @Test("commands, binary-safe values, integers, arrays, nil and error replies")
    func replies() async throws {
        try await TestRedis.with { _, redis in
            #expect(try await redis.command("SET", "k", "v") == .status("OK"))
            #expect(try await redis.command("GET", "k") == .bulk(Array("v".utf8)))
            let binary: [UInt8] = [0, 1, 2, 0xFF, 0x0D, 0x0A, 0]
            try await redis.command("SET", "bin", RedisArgument(binary))
            #expect(try await redis.command("GET", "bin") == .bulk(binary))
            #expect(try await redis.command("INCRBY", "n", 41) == .integer(41))
            #expect(try await redis.command("GET", "missing") == .null)
            try await redis.command("RPUSH", "list", "a", "b", "c")
            #expect(try await redis.command("LRANGE", "list", 0, -1).array?.compactMap(\.string) == ["a", "b", "c"])
            let error = await #expect(throws: RedisError.self) { try await redis.command("INCR", "list") }
            #expect(error?.code == .server)
            #expect(error?.message.hasPrefix("WRONGTYPE") == true)
            // The connection is still good after an error reply.
            #expect(try await redis.command("PING") == .status("PONG"))
        }
    }

    @Test("a pipeline's replies come back in order, each with its own outcome")
    func pipelineOrder() async throws {
        try await TestRedis.with { _, redis in
            let commands: [[RedisArgument]] = (0..<2_000).map { _ in ["INCR", "counter"] }
            let replies = await redis.pipeline(commands)
            let values = replies.map { (try? $0.get())?.integer }
            #expect(values == (1...2_000).map { Int64($0) })
            let mixed = await redis.pipeline([["SET", "s", "1"], ["LPUSH", "s", "x"], ["GET", "s"]])
            #expect((try? mixed[0].get()) == .status("OK"))
            #expect((try? mixed[2].get()) == .bulk(Array("1".utf8)))
            guard case .failure(let error) = mixed[1] else { Issue.record("LPUSH on a string succeeded"); return }
            #expect(error.code == .server)
        }
    }

    @Test("a command past its timeout fails with .timeout, and the client reconnects by itself")
    func commandTimeout() async throws {
        try await TestRedis.with { _, redis in
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: RedisError.self) {
                // BLPOP on an empty list answers only after its own 1 s: longer than the command may wait.
                try await redis.command("BLPOP", "nothing-here", 1, timeout: .milliseconds(100))
            }
            #expect(error?.code == .timeout)
            #expect(clock.now - start < .seconds(2))  // the reply itself would come after 1 s, and not as an error
            #expect(await redis.waitUntilConnected(timeout: .seconds(3)))
            let pong = try await redis.command("PING")
            #expect(pong == .status("PONG"))
        }
    }

    @Test("while Redis is down commands fail at once; the client reconnects by itself when Redis returns")
    func reconnect() async throws {
        try await TestRedis.with(aof: true) { server, redis in
            try await redis.command("SET", "kept", "yes")
            try await Task.sleep(for: .milliseconds(1_100))  // appendfsync everysec
            try await server.stop()
            let clock = ContinuousClock()
            var sawUnavailable = false
            for _ in 0..<50 {
                do {
                    try await redis.command("PING")
                } catch let error as RedisError {
                    sawUnavailable = error.code == .unavailable
                    break
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(sawUnavailable)
            let failStart = clock.now
            await #expect(throws: RedisError.self) { try await redis.command("GET", "kept") }
            #expect(clock.now - failStart < .seconds(1))  // at once: no connect attempt (2 s) is awaited
            try await Task.sleep(for: .milliseconds(1_500))  // let the backoff reach its maximum
            try await server.start()
            // Back by itself. How fast is a figure, not a timed test (a loaded machine would fail it): within
            // 0.5 s here, see Benchmarks/soak/redis_recovery.py and the soak; the LOADING case is tested below.
            #expect(await redis.waitUntilConnected(timeout: .seconds(20)))
            #expect(try await redis.command("GET", "kept").string == "yes")  // the AOF kept it
        }
    }

    @Test("a connect that finds Redis loading its data (LOADING) gives up at once and retries, so it is up right after")
    func reconnectWhileLoading() async throws {
        // Each key read at start-up takes 1 ms: 2,000 keys in the AOF's RDB part keep Redis LOADING for 2 s or more.
        let server = try await TestRedis(aof: true, serverOptions: ["--key-load-delay", "1000"])
        defer { server.remove() }
        let loop = try EventLoop(index: 0)
        defer {
            loop.stop()
            loop.join()
        }
        var configuration = try RedisConfiguration(url: server.url)
        // An attempt left waiting on its LOADING reply would be stuck this long: far past the wait below.
        configuration.connectTimeout = .seconds(300)
        configuration.reconnectTimeout = .seconds(300)
        let writer = RedisClient(configuration: configuration, loop: loop)
        #expect(await writer.waitUntilConnected(timeout: .seconds(5)))
        let sets = (0..<2_000).map { ["SET", RedisArgument("key:\($0)"), "value"] as [RedisArgument] }
        for result in await writer.pipeline(sets) { _ = try result.get() }
        try await writer.command("BGREWRITEAOF")  // into the RDB part, which is what the delay applies to
        while try await writer.command("INFO", "persistence").string?.contains("aof_rewrite_in_progress:0") != true {
            try await Task.sleep(for: .milliseconds(50))
        }
        await writer.close()
        try await server.stop()
        // Created while Redis is down: it keeps trying, and its attempts meet the restarted Redis while it loads.
        let redis = RedisClient(configuration: configuration, loop: loop)
        try await server.start()  // returns once Redis answers PONG (loaded)
        #expect(await redis.waitUntilConnected(timeout: .seconds(30)))
        #expect(try await redis.command("GET", "key:1999").string == "value")
        await redis.close()
    }

    @Test("no Redis at the address: .unavailable without hanging")
    func nothingListening() async throws {
        let loop = try EventLoop(index: 0)
        defer {
            loop.stop()
            loop.join()
        }
        let port = try TestRedis.freePort()
        let redis = RedisClient(configuration: try RedisConfiguration(url: "redis://127.0.0.1:\(port)"), loop: loop)
        #expect(await !redis.waitUntilConnected(timeout: .milliseconds(300)))
        let error = await #expect(throws: RedisError.self) { try await redis.command("PING") }
        #expect(error?.code == .unavailable)
        #expect(error?.description.contains("\(port)") == false)
        await redis.close()
        let closed = await #expect(throws: RedisError.self) { try await redis.command("PING") }
        #expect(closed?.code == .closed)
    }

    @Test("a wrong password is refused and reported as configuration, never retried into a loop")
    func wrongPassword() async throws {
        let server = try await TestRedis()
        defer { server.remove() }
        let loop = try EventLoop(index: 0)
        defer {
            loop.stop()
            loop.join()
        }
        let setup = RedisClient(configuration: try RedisConfiguration(url: server.url), loop: loop)
        #expect(await setup.waitUntilConnected(timeout: .seconds(5)))
        try await setup.command("CONFIG", "SET", "requirepass", "s3cret")
        await setup.close()
        let good = RedisClient(
            configuration: try RedisConfiguration(url: "redis://:s3cret@127.0.0.1:\(server.port)"), loop: loop)
        #expect(await good.waitUntilConnected(timeout: .seconds(5)))
        #expect(try await good.command("PING") == .status("PONG"))
        await good.close()
        let bad = RedisClient(
            configuration: try RedisConfiguration(url: "redis://:nope@127.0.0.1:\(server.port)"), loop: loop)
        #expect(await !bad.waitUntilConnected(timeout: .milliseconds(500)))
        let error = await #expect(throws: RedisError.self) { try await bad.command("PING") }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.description.contains("nope") == false)
        await bad.close()
    }
}

@Suite("Redis URLs")
struct RedisConfigurationTests {
    @Test func parsesEveryPart() throws {
        let full = try RedisConfiguration(url: "redis://user:p%40ss@127.0.0.1:6380/3")
        #expect(full.host == "127.0.0.1" && full.port == 6380 && full.database == 3)
        #expect(full.username == "user" && full.password == "p@ss")
        #expect(!full.description.contains("p@ss") && !full.description.contains("p%40ss"))
        let short = try RedisConfiguration(url: "redis://localhost")
        #expect(short.host == "127.0.0.1" && short.port == 6379 && short.password == nil)
        let v6 = try RedisConfiguration(url: "redis://[::1]:7000")
        #expect(v6.host == "::1" && v6.port == 7000)
        #expect(try RedisConfiguration(url: "redis://:secret@10.0.0.5").password == "secret")
    }

    @Test(arguments: [
        "rediss://127.0.0.1", "http://x", "redis://cache.internal:6379", "redis://1.2.3.4:0",
        "redis://1.2.3.4:x", "redis://1.2.3.4/db",
    ])
    func refuses(url: String) {
        #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
    }
}
