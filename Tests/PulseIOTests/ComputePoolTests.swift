import PulseIO
import Testing

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
            async let slow: Int = Task(executorPreference: loop) {
                try await pool.run {
                    var x = 0
                    for i in 0..<50_000_000 { x &+= i }
                    return x
                }
            }.value
            let start = MonotonicClock.now()
            await withCheckedContinuation { continuation in loop.execute { continuation.resume() } }
            #expect(MonotonicClock.now() - start < 200_000_000)
            _ = try await slow
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
