import PulseAnalytics
import PulseIO
import PulseProtocol
import Synchronization

/// CPU-heavy work on the compute pool, stopped when the calling task is cancelled (the client cancelled, the
/// deadline passed): the work polls `isCancelled` (through `BacktestControl`) and ends early.
enum ComputeJob {
    /// Runs `body` on `pool`; analytics errors become the statuses a client should see (``status(for:)``).
    static func run<T: Sendable>(
        on pool: ComputePool, _ body: @escaping @Sendable (_ isCancelled: @escaping @Sendable () -> Bool) throws -> T
    ) async throws -> T {
        let flag = CancellationFlag()
        do {
            return try await withTaskCancellationHandler {
                try await pool.run { try body(flag.isSet) }
            } onCancel: {
                flag.set()
            }
        } catch {
            throw status(for: error)
        }
    }

    /// INVALID_ARGUMENT for what the request got wrong (a bad setting, expression, parameter), with the
    /// library's message; `CancellationError` for a run stopped by cancellation; anything else unchanged.
    static func status(for error: any Error) -> any Error {
        switch error {
        case let error as BacktestError where error.code == .cancelled: return CancellationError()
        case let error as BacktestError: return GRPCStatus(.invalidArgument, error.message)
        case let error as ExpressionError: return GRPCStatus(.invalidArgument, "\(error)")
        case let error as IndicatorError: return GRPCStatus(.invalidArgument, "\(error)")
        default: return error
        }
    }
}

/// Set once, from a cancellation handler; read by work on another thread.
final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() { value.store(true, ordering: .relaxed) }
    @Sendable func isSet() -> Bool { value.load(ordering: .relaxed) }
}
