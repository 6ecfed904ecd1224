import PulseProtocol

extension ClientConnection {
    /// Applies one session event to the call it concerns.
    func handle(_ event: HTTP2ClientEvent) {
        switch event {
        case .headers(let streamID, let fields, let isTrailers, let endStream):
            guard let call = call(for: streamID) else { return }
            apply(call.machine.receiveHeaders(fields, isTrailers: isTrailers, endStream: endStream), to: call)

        case .data(let streamID, let bytes):
            guard let call = call(for: streamID) else {
                creditUntracked(streamID: streamID, count: bytes.count)
                return
            }
            let action = call.machine.receiveData(bytes)
            let readerKeepsUp: Bool
            if case .deliver(let messages) = action {
                readerKeepsUp = call.sink.deliver(messages)
            } else {
                apply(action, to: call)
                readerKeepsUp = call.isFinished ? true : call.sink.deliver([])
            }
            // Credit the server only while the reader keeps up: a slow reader stops the stream at
            // its window instead of growing this process's memory.
            if readerKeepsUp {
                creditUntracked(streamID: streamID, count: bytes.count + call.unconsumedBytes)
                call.unconsumedBytes = 0
            } else {
                call.unconsumedBytes += bytes.count
            }

        case .streamClosed(let streamID, let errorCode):
            guard let call = removeCall(streamID) else { return }
            apply(call.machine.streamClosed(errorCode: errorCode), to: call)

        case .goAway(_, let errorCode):
            // nghttp2 closes the streams the server will not process with REFUSED_STREAM (→ UNAVAILABLE);
            // the rest finish normally. New calls go to a new connection.
            _ = errorCode
            markDraining()

        case .pingAck(let opaque):
            keepaliveAcknowledged(opaque)
        }
    }

    private func apply(_ action: ClientCallMachine.Action, to call: ClientCall) {
        switch action {
        case .none:
            break
        case .deliver(let messages):
            _ = call.sink.deliver(messages)
        case .finish(let status):
            call.finish(status, on: loop)
        case .abort(let status):
            cancel(call, status: status)
        }
    }
}
