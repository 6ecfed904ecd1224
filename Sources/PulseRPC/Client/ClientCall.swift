import PulseIO
import PulseProtocol

/// One RPC in flight on a client connection.
///
/// Created by the caller and bound to the connection's loop at once (`LoopBound`); from then on it is only
/// touched on that loop's thread.
final class ClientCall {
    let request: ClientRequest
    let sink: any ClientCallSink

    // Loop-thread state.
    var machine: ClientCallMachine
    var streamID: Int32?
    weak var connection: ClientConnection?
    var deadlineTimer: TimerHandle?
    /// Body bytes received but not yet credited back to the server, because the reader is behind.
    var unconsumedBytes = 0
    private(set) var isFinished = false

    init(request: ClientRequest, sink: any ClientCallSink) {
        self.request = request
        self.sink = sink
        self.machine = ClientCallMachine(maxMessageSize: request.maxResponseMessageSize)
    }

    /// Ends the call once: cancels its deadline timer and hands the status to the sink.
    func finish(_ status: GRPCStatus, on loop: EventLoop) {
        guard !isFinished else { return }
        isFinished = true
        if let deadlineTimer {
            loop.cancelTimer(deadlineTimer)
            self.deadlineTimer = nil
        }
        sink.finish(status)
    }
}

@available(*, unavailable)
extension ClientCall: Sendable {}
