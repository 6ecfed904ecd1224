import PulseIO
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("BlockingPool")
struct BlockingPoolTests {
    @Test("a blocking job never delays the compute pool")
    func blockingJobDoesNotDelayCompute() async throws {
        let compute = try ComputePool(threads: 1)
        let blocking = try BlockingPool(threads: 1)
        defer {
            blocking.shutdown()
            compute.shutdown()
        }
        let gate = Gate()
        // The blocking job holds its thread until a compute job has run. Had the two pools shared
        // threads, the compute job would queue behind it and the blocking job would only give up after
        // its fail-safe: the order of events is checked, not a duration.
        async let blocked: Bool = blocking.run { gate.wait() }
        while !gate.waiting.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
        let computed = try await compute.run { (1...100).reduce(0, +) }
        gate.open()
        #expect(computed == 5050)
        #expect(try await blocked, "the blocking job gave up: the compute job waited behind it")
    }

    @Test("a busy compute pool never delays a blocking job")
    func computeDoesNotDelayBlocking() async throws {
        let compute = try ComputePool(threads: 1)
        let blocking = try BlockingPool(threads: 1)
        defer {
            blocking.shutdown()
            compute.shutdown()
        }
        let gate = Gate()
        async let busy: Bool = compute.run { gate.wait() }
        while !gate.waiting.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
        let fsynced = try await blocking.run { () -> Bool in
            let fd = fileno(tmpfile())
            return fd >= 0 && fsync(fd) == 0
        }
        gate.open()
        #expect(fsynced)
        #expect(try await busy, "the compute job gave up: the blocking job waited behind it")
    }

    @Test("blocking-pool threads are not loop threads, and errors come back")
    func runsOffLoop() async throws {
        struct Failed: Error {}
        let blocking = try BlockingPool(threads: 2)
        defer { blocking.shutdown() }
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let (ranOnLoop, resumedOnLoop) = try await Task(executorPreference: loop) {
                let ranOnLoop = try await blocking.run { loop.inEventLoop }
                return (ranOnLoop, loop.inEventLoop)
            }.value
            #expect(!ranOnLoop)
            #expect(resumedOnLoop)
        }
        await #expect(throws: Failed.self) { try await blocking.run { () throws -> Int in throw Failed() } }
    }

    @Test("names resolve on the blocking pool")
    func resolvesOffLoop() async throws {
        let blocking = try BlockingPool(threads: 1)
        defer { blocking.shutdown() }
        let address = try await AddressResolver.resolve(host: "127.0.0.1", port: 8080, on: blocking)
        #expect(address.description == "127.0.0.1:8080")
        let listen = try await AddressResolver.resolve(host: "::1", port: 0, for: .listen, on: blocking)
        #expect(listen.description == "[::1]:0")
        await #expect(throws: IOError.self) {
            try await AddressResolver.resolve(host: "127.0.0.1", port: 0, for: .connect, on: blocking)
        }
    }
}

/// Holds a pool thread until opened (or a fail-safe minute passed, so a broken build fails instead of hanging).
private final class Gate: Sendable {
    let waiting = Atomic<Bool>(false)
    private let opened = Atomic<Bool>(false)

    /// Returns true when opened, false when it gave up.
    func wait() -> Bool {
        waiting.store(true, ordering: .releasing)
        let giveUp = MonotonicClock.now() + 60_000_000_000
        while !opened.load(ordering: .acquiring) {
            if MonotonicClock.now() > giveUp { return false }
            usleep(200)
        }
        return true
    }

    func open() { opened.store(true, ordering: .releasing) }
}
