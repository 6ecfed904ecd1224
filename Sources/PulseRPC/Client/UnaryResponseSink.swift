import PulseIO
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
            let outcome = unaryOutcome(status, message: state.message, count: state.messageCount)
            state.outcome = outcome
            state.message = []
            defer { state.continuation = nil }
            return (state.continuation, outcome)
        }
        continuation?.resume(returning: outcome)
    }
}

/// The sink of `ClientChannel.startUnary`: hands the outcome to a callback on the loop thread.
///
/// `@unchecked Sendable`: it is created on the loop thread and the connection calls `deliver` and `finish` only on
/// that thread, so its plain state and its non-Sendable callback are never shared across threads.
final class LoopUnarySink: ClientCallSink, @unchecked Sendable {
    private let loop: EventLoop
    private var completion: ((Result<[UInt8], GRPCStatus>) -> Void)?
    private var message: [UInt8] = []
    private var messageCount = 0
    /// False until `startUnary` returns: a call that ends while it starts (no connection) completes on the next
    /// turn of the loop instead, so a caller that starts its next call from `completion` cannot recurse.
    private var started = false

    init(loop: EventLoop, completion: @escaping (Result<[UInt8], GRPCStatus>) -> Void) {
        self.loop = loop
        self.completion = completion
    }

    func startReturned() { started = true }

    func deliver(_ messages: [[UInt8]]) -> Bool {
        guard !messages.isEmpty else { return true }
        if messageCount == 0 { message = messages[0] }
        messageCount += messages.count
        return true  // bounded by the message-size limit: at most one message is legal anyway
    }

    func finish(_ status: GRPCStatus) {
        guard let completion else { return }
        self.completion = nil
        let outcome = unaryOutcome(status, message: message, count: messageCount)
        message = []
        if started {
            completion(outcome)
        } else {
            loop.executeOnLoop { completion(outcome) }
        }
    }
}

/// A unary call's result: its one message when it ended OK, else its status (more than one message is INTERNAL).
private func unaryOutcome(_ status: GRPCStatus, message: [UInt8], count: Int) -> Result<[UInt8], GRPCStatus> {
    if !status.isOK { return .failure(status) }
    if count == 1 { return .success(message) }
    return .failure(GRPCStatus(.internal, "a unary call received \(count) response messages"))
}
