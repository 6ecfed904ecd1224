import PulseIO
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("ComputePool")
struct ComputePoolTests {
    @Test("work runs off the loop and the awaiting task resumes on its loop")
    func runsOffLoopResumesOnLoop() async throws {
        let pool = try ComputePool(threads: 2)
        defer { pool.shutdown() }
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let (ranOnLoop, resumedOnLoop, sum) = try await Task(executorPreference: loop) {
                let (onLoop, sum) = try await pool.run { (loop.inEventLoop, (1...1000).reduce(0, +)) }
                return (onLoop, loop.inEventLoop, sum)
            }.value
            #expect(!ranOnLoop)
            #expect(resumedOnLoop)
            #expect(sum == 500_500)
        }
    }

    @Test("a loop keeps serving while the pool computes")
    func loopNotStalled() async throws {
        let pool = try ComputePool(threads: 1)
        defer { pool.shutdown() }
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let release = ReleaseFlag()
            // The pool work holds until the loop has served other work: if awaiting the pool stalled
            // the loop, the release would never come and the work would report a timeout.
            async let released: Bool = Task(executorPreference: loop) {
                try await pool.run {
                    let deadline = MonotonicClock.now() + 10_000_000_000
                    while !release.value.load(ordering: .acquiring) {
                        if MonotonicClock.now() > deadline { return false }
                        usleep(100)
                    }
                    return true
                }
            }.value
            await withCheckedContinuation { continuation in
                loop.execute {
                    release.value.store(true, ordering: .releasing)
                    continuation.resume()
                }
            }
            let outcome = try await released
            #expect(outcome)
        }
    }

    @Test("cancelled tasks do not start work")
    func cancelledBeforeStart() async throws {
        let pool = try ComputePool(threads: 1)
        defer { pool.shutdown() }
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pool.run { 1 }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}

private final class ReleaseFlag: Sendable {
    let value = Atomic<Bool>(false)
}
