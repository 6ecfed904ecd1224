import PulseIO
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("EventLoop")
struct EventLoopTests {
    @Test("work submitted from another thread runs on the loop thread")
    func executeRunsOnLoop() async throws {
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let onLoop = await withCheckedContinuation { continuation in
                loop.execute { continuation.resume(returning: loop.inEventLoop) }
            }
            #expect(onLoop)
            #expect(!loop.inEventLoop)
        }
    }

    @Test("timers fire in deadline order and cancelled timers never fire")
    func timersOrderAndCancel() async throws {
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let fired = await withCheckedContinuation { (continuation: CheckedContinuation<[Int], Never>) in
                loop.execute {
                    var order: [Int] = []
                    let cancelled = loop.scheduleTimer(afterNanoseconds: 5_000_000) { order.append(99) }
                    loop.scheduleTimer(afterNanoseconds: 20_000_000) {
                        order.append(2)
                        continuation.resume(returning: order)
                    }
                    loop.scheduleTimer(afterNanoseconds: 10_000_000) { order.append(1) }
                    #expect(loop.cancelTimer(cancelled))
                    #expect(!loop.cancelTimer(cancelled))
                }
            }
            #expect(fired == [1, 2])
        }
    }

    @Test("a timer does not fire before its deadline")
    func timerWaitsForDeadline() async throws {
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let start = MonotonicClock.now()
            let elapsed = await withCheckedContinuation { continuation in
                loop.execute {
                    loop.scheduleTimer(afterNanoseconds: 30_000_000) {
                        continuation.resume(returning: MonotonicClock.now() - start)
                    }
                }
            }
            #expect(elapsed >= 30_000_000)
            #expect(elapsed < 2_000_000_000)
        }
    }

    @Test("a task preferring the loop starts and resumes on the loop thread")
    func executorKeepsTaskOnLoop() async throws {
        try await EventLoopGroup.withGroup(loops: 2) { group in
            let loop = group.loops[1]
            let observations = await Task(executorPreference: loop) { () -> [Bool] in
                var seen = [loop.inEventLoop]
                try? await Task.sleep(nanoseconds: 2_000_000)
                seen.append(loop.inEventLoop)
                await Task.yield()
                seen.append(loop.inEventLoop)
                return seen
            }.value
            #expect(observations == [true, true, true])
        }
    }

    @Test("group hands out loops round-robin")
    func roundRobin() throws {
        let group = try EventLoopGroup(loops: 3)
        defer { group.shutdown() }
        let picked = (0..<6).map { _ in group.next().index }
        #expect(picked == [0, 1, 2, 0, 1, 2])
    }
}

@Suite("EventLoop sleep and cross-thread timers")
struct EventLoopSleepTests {
    @Test("sleep waits on the loop's timer and resumes on the loop")
    func sleepResumesOnLoop() async throws {
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let (elapsed, onLoop) = try await Task(executorPreference: loop) {
                let start = MonotonicClock.now()
                try await loop.sleep(nanoseconds: 20_000_000)
                return (MonotonicClock.now() - start, loop.inEventLoop)
            }.value
            #expect(elapsed >= 20_000_000)
            #expect(onLoop)
        }
    }

    @Test("cancelling a sleeping task ends the sleep with CancellationError")
    func sleepCancels() async throws {
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            // No fixed delay before cancelling: on a loaded machine the cooperative pool can resume this
            // test many seconds late, after a short sleep had already ended on its own. Wait until the
            // sleep is pending instead, and sleep far longer than any such delay, so that only the
            // cancellation can end it.
            let (started, didStart) = AsyncStream<Void>.makeStream()
            let task = Task(executorPreference: loop) {
                didStart.yield()
                try await loop.sleep(nanoseconds: 120_000_000_000)
            }
            for await _ in started { break }
            // The task went on into `sleep` in the same job, so its timer is set before this runs.
            await loop.submit {}
            let start = MonotonicClock.now()
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(MonotonicClock.now() - start < 60_000_000_000)
        }
    }

    @Test("a timer scheduled from another thread fires on the loop")
    func crossThreadTimer() async throws {
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let onLoop = await withCheckedContinuation { continuation in
                loop.schedule(afterNanoseconds: 5_000_000) { continuation.resume(returning: loop.inEventLoop) }
            }
            #expect(onLoop)
        }
    }
}
