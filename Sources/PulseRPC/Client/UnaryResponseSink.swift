import PulseProtocol
import Synchronization

/// Collects the single response message of a unary call and resumes the caller with it.
final class UnaryResponseSink: ClientCallSink {
    private struct State {
        var continuation: CheckedContinuation<Result<[UInt8], GRPCStatus>, Never>?
        var messages: [[UInt8]] = []
        var outcome: Result<[UInt8], GRPCStatus>?
    }

    private let state = Mutex(State())

    /// Registers the caller; resumes at once if the call already ended (cancelled before it started).
    func install(_ continuation: CheckedContinuation<Result<[UInt8], GRPCStatus>, Never>) {
        let outcome = state.withLock { state -> Result<[UInt8], GRPCStatus>? in
            if let outcome = state.outcome { return outcome }
            state.continuation = continuation
            return nil
        }
        if let outcome { continuation.resume(returning: outcome) }
    }

    func deliver(_ messages: [[UInt8]]) -> Bool {
        state.withLock { $0.messages.append(contentsOf: messages) }
        return true  // bounded by the message-size limit: at most one message is legal anyway
    }

    func finish(_ status: GRPCStatus) {
        let (continuation, outcome) = state.withLock { state in
            let outcome: Result<[UInt8], GRPCStatus>
            if !status.isOK {
                outcome = .failure(status)
            } else if state.messages.count == 1 {
                outcome = .success(state.messages[0])
            } else {
                outcome = .failure(
                    GRPCStatus(.internal, "a unary call received \(state.messages.count) response messages"))
            }
            state.outcome = outcome
            state.messages = []
            defer { state.continuation = nil }
            return (state.continuation, outcome)
        }
        continuation?.resume(returning: outcome)
    }
}
