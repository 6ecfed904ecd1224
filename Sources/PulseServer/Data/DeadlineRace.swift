import PulseIO
import PulseProtocol
import PulseRPC

/// Bounds an async call by a deadline even when the call itself cannot be interrupted (a connect in progress):
/// whichever comes first, the result or the timer, answers the caller; the call is cancelled when the timer
/// wins and finishes on its own afterwards.
enum DeadlineRace {
    /// Runs `body` on `loop`; throws DEADLINE_EXCEEDED when `timeout` passes first.
    static func run<T: Sendable>(
        on loop: EventLoop, within timeout: Duration, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = LoopBound(Race<T>(loop: loop), loop: loop)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.value.continuation = continuation
            let task = Task(executorPreference: loop) {
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                race.value.finish(result)
            }
            race.value.timer = loop.scheduleTimer(afterNanoseconds: timeout.wholeNanoseconds) {
                task.cancel()
                race.value.finish(.failure(GRPCStatus(.deadlineExceeded, "the data store did not answer in time")))
            }
        }
    }

    /// Who answered first. Loop thread only.
    private final class Race<T> {
        var continuation: CheckedContinuation<T, any Error>?
        var timer: TimerHandle?
        let loop: EventLoop

        init(loop: EventLoop) { self.loop = loop }

        func finish(_ result: sending Result<T, any Error>) {
            guard let continuation else { return }
            self.continuation = nil
            if let timer { _ = loop.cancelTimer(timer) }
            continuation.resume(with: result)
        }
    }
}
