import PulseProtocol
import Synchronization

/// Collects the single response message of a unary call and resumes the caller with it.
final class UnaryResponseSink: ClientCallSink {
    private struct State {
        var continuation: UnsafeContinuation<Result<[UInt8], GRPCStatus>, Never>?
        /// The first message, and how many arrived (more than one is an error).
        var message: [UInt8] = []
        var messageCount = 0
        var outcome: Result<[UInt8], GRPCStatus>?
    }

    private let state = Mutex(State())

    /// Registers the caller; resumes at once if the call already ended (cancelled before it started).
    /// The continuation is resumed exactly once: by whichever of `install` and `finish` comes second.
    func install(_ continuation: UnsafeContinuation<Result<[UInt8], GRPCStatus>, Never>) {
        let outcome = state.withLock { state -> Result<[UInt8], GRPCStatus>? in
            if let outcome = state.outcome { return outcome }
            state.continuation = continuation
            return nil
        }
        if let outcome { continuation.resume(returning: outcome) }
    }

    func deliver(_ messages: [[UInt8]]) -> Bool {
        guard !messages.isEmpty else { return true }
        state.withLock { state in
            if state.messageCount == 0 { state.message = messages[0] }
            state.messageCount += messages.count
        }
        return true  // bounded by the message-size limit: at most one message is legal anyway
    }

    func finish(_ status: GRPCStatus) {
        let (continuation, outcome) = state.withLock { state in
            let outcome: Result<[UInt8], GRPCStatus>
            if !status.isOK {
                outcome = .failure(status)
            } else if state.messageCount == 1 {
                outcome = .success(state.message)
            } else {
                outcome = .failure(
                    GRPCStatus(.internal, "a unary call received \(state.messageCount) response messages"))
            }
            state.outcome = outcome
            state.message = []
            defer { state.continuation = nil }
            return (state.continuation, outcome)
        }
        continuation?.resume(returning: outcome)
    }
}
