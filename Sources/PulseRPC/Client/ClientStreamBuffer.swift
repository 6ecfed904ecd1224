import PulseProtocol
import Synchronization

/// The bounded queue between a server-streaming call (filled on the loop) and its reader.
///
/// Past `highWater` queued bytes it tells the connection the reader is behind, so the connection stops
/// crediting the server; once the reader drains it below `lowWater` it asks for the credit back.
final class ClientStreamBuffer: ClientCallSink {
    static let highWater = 512 * 1024
    static let lowWater = 128 * 1024

    private struct State {
        var messages: [[UInt8]] = []
        var head = 0
        var queuedBytes = 0
        var readerBehind = false
        var status: GRPCStatus?
        var waiter: CheckedContinuation<Result<[UInt8]?, GRPCStatus>, Never>?
        var onReaderCaughtUp: (@Sendable () -> Void)?
        var onCancel: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    /// Called (off the loop) when a reader that was behind has caught up.
    var onReaderCaughtUp: (@Sendable () -> Void)? {
        get { state.withLock { $0.onReaderCaughtUp } }
        set { state.withLock { $0.onReaderCaughtUp = newValue } }
    }

    /// Called to cancel the RPC when the reader gives up.
    var onCancel: (@Sendable () -> Void)? {
        get { state.withLock { $0.onCancel } }
        set { state.withLock { $0.onCancel = newValue } }
    }

    func deliver(_ messages: [[UInt8]]) -> Bool {
        state.withLock { state in
            guard state.status == nil else { return true }
            var incoming = messages[...]
            if let waiter = state.waiter, let first = incoming.popFirst() {
                state.waiter = nil
                waiter.resume(returning: .success(first))
            }
            for message in incoming {
                state.messages.append(message)
                state.queuedBytes += message.count
            }
            if state.queuedBytes > Self.highWater { state.readerBehind = true }
            return !state.readerBehind
        }
    }

    func finish(_ status: GRPCStatus) {
        state.withLock { state in
            guard state.status == nil else { return }
            state.status = status
            state.onCancel = nil  // breaks the buffer → call → buffer cycle
            state.onReaderCaughtUp = nil
            if let waiter = state.waiter {
                state.waiter = nil
                waiter.resume(returning: status.isOK ? .success(nil) : .failure(status))
            }
        }
    }

    /// The next message; nil at the end of a successful stream; throws the call's failure status.
    func next() async throws(GRPCStatus) -> [UInt8]? {
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let (ready, caughtUp) = take(orWait: continuation)
                if let ready { continuation.resume(returning: ready) }
                caughtUp?()
            }
        } onCancel: {
            cancel()
        }
        return try result.get()
    }

    /// Cancels the RPC (RST_STREAM CANCEL) unless it already ended.
    func cancel() {
        let onCancel = state.withLock { state -> (@Sendable () -> Void)? in
            state.status == nil ? state.onCancel : nil
        }
        onCancel?()
    }

    private func take(
        orWait continuation: CheckedContinuation<Result<[UInt8]?, GRPCStatus>, Never>
    ) -> (Result<[UInt8]?, GRPCStatus>?, (@Sendable () -> Void)?) {
        state.withLock { state in
            if state.head < state.messages.count {
                let message = state.messages[state.head]
                state.head += 1
                state.queuedBytes -= message.count
                if state.head == state.messages.count {
                    state.messages.removeAll(keepingCapacity: true)
                    state.head = 0
                }
                var caughtUp: (@Sendable () -> Void)?
                if state.readerBehind, state.queuedBytes <= Self.lowWater {
                    state.readerBehind = false
                    caughtUp = state.onReaderCaughtUp
                }
                return (.success(message), caughtUp)
            }
            if let status = state.status {
                return (status.isOK ? .success(nil) : .failure(status), nil)
            }
            state.waiter = continuation
            return (nil, nil)
        }
    }
}
