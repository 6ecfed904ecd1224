import PulseIO
import Synchronization
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
            let job = BusyJob()
            let roundTrips = 20
            // A task on the loop awaits a CPU-bound pool job that runs until the loop has answered
            // `roundTrips` round trips, all sent after the job started. Had the job run on the loop's
            // thread, the loop could answer none of them before the job gave up, however fast or
            // loaded the machine is: the order of events is checked, not a duration (the job's
            // one-minute fail-safe only keeps a broken build from hanging).
            async let answeredDuringJob: Int = Task(executorPreference: loop) {
                try await pool.run { job.compute(until: roundTrips) }
            }.value
            while !job.started.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
            for _ in 0..<roundTrips {
                await withCheckedContinuation { continuation in
                    loop.execute {
                        job.answered.add(1, ordering: .releasing)
                        continuation.resume()
                    }
                }
            }
            let answered = try await answeredDuringJob
            #expect(
                answered == roundTrips,
                "the loop answered \(answered) of \(roundTrips) round trips while the pool job ran")
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

/// A pool job that keeps a core busy until the loop has answered enough round trips.
private final class BusyJob: Sendable {
    let started = Atomic<Bool>(false)
    let answered = Atomic<Int>(0)
    private let checksum = Atomic<UInt64>(0)

    /// Computes until `wanted` round trips were answered (or a fail-safe minute passed, so a stalled
    /// loop fails the test instead of hanging it); returns how many were answered meanwhile.
    func compute(until wanted: Int) -> Int {
        started.store(true, ordering: .releasing)
        let giveUp = MonotonicClock.now() + 60_000_000_000
        var sum: UInt64 = 0
        while answered.load(ordering: .acquiring) < wanted && MonotonicClock.now() < giveUp {
            for step in 0..<10_000 { sum = sum &* 6_364_136_223_846_793_005 &+ UInt64(step) }
        }
        checksum.store(sum, ordering: .relaxed)  // keeps the arithmetic from being optimised away
        return answered.load(ordering: .acquiring)
    }
}
