import Synchronization

extension EventLoop {
    /// Schedules `work` on the loop after `nanoseconds`; callable from any thread.
    public func schedule(afterNanoseconds nanoseconds: UInt64, _ work: @escaping @Sendable () -> Void) {
        let deadline = MonotonicClock.now() &+ nanoseconds
        execute { self.scheduleTimer(deadline: deadline, work) }
    }

    /// Suspends for `nanoseconds` using this loop's timer, resuming on the loop (no other thread is
    /// involved, unlike `Task.sleep`). Throws `CancellationError` when the task is cancelled.
    public func sleep(nanoseconds: UInt64) async throws {
        try Task.checkCancellation()
        let sleeper = LoopSleeper()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let deadline = MonotonicClock.now() &+ nanoseconds
                execute {
                    sleeper.start(on: self, deadline: deadline, continuation)
                }
            }
        } onCancel: {
            self.execute { sleeper.cancel(on: self) }
        }
    }
}

/// One pending loop sleep. Its state is touched only on the loop; `@unchecked` because the object
/// itself is created on the sleeping task and handed to the loop.
private final class LoopSleeper: @unchecked Sendable {
    private var continuation: CheckedContinuation<Void, any Error>?
    private var timer: TimerHandle?
    private var cancelled = false

    func start(on loop: EventLoop, deadline: UInt64, _ continuation: CheckedContinuation<Void, any Error>) {
        if cancelled {
            continuation.resume(throwing: CancellationError())
            return
        }
        self.continuation = continuation
        timer = loop.scheduleTimer(deadline: deadline) { [self] in
            timer = nil
            self.continuation?.resume()
            self.continuation = nil
        }
    }

    func cancel(on loop: EventLoop) {
        cancelled = true
        if let timer { loop.cancelTimer(timer) }
        timer = nil
        continuation?.resume(throwing: CancellationError())
        continuation = nil
    }
}
