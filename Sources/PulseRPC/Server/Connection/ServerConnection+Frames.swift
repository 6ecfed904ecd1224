import PulseIO
import PulseProtocol

/// What the session reports: requests and their header fields and bodies, control frames, streams
/// closing, frames leaving.
extension ServerConnection {
    func session(_ event: HTTP2ServerEvent) {
        switch event {
        case .requestBegan(let streamID):
            requestBegan(streamID)
        case .header(let streamID, let name, let value):
            header(streamID, name: name, value: value)
        case .headersComplete(let streamID, let endStream):
            headerBlockStream = nil
            guard let stream = session.stream(streamID) else { return }
            if stream.phase == .receivingHeaders { headersComplete(stream) }
            if endStream { requestEnded(stream) }
        case .data(let streamID, let bytes):
            dataReceived(streamID, bytes)
        case .dataFrame(let streamID, let length, let endStream):
            if length == 0 && !endStream { glitch("empty DATA frame") }
            if endStream, let stream = session.stream(streamID) { requestEnded(stream) }
        case .settings:
            if machine.settingsReceived() {
                if let handshakeTimer { loop.cancelTimer(handshakeTimer) }
                handshakeTimer = nil
                core.logger.debug("connection established", metadata: ["peer": "\(peer)"])
            }
            controlFrame("SETTINGS")
        case .ping(let opaque, let ack):
            if ack {
                keepalive.pingAckReceived(opaque: opaque, now: MonotonicClock.now())
            } else {
                controlFrame("PING")
                if keepalive.policy.minPeerPingInterval > 0 {
                    apply(keepalive.peerPingReceived(now: MonotonicClock.now()))
                }
            }
        case .streamClosed(let streamID, _):
            streamClosed(streamID)
        case .streamEndSent(let streamID):
            // Only now: resetting earlier would discard the queued trailers.
            guard let stream = session.stream(streamID), let code = stream.resetAfterTrailers, !stream.remoteClosed
            else { return }
            session.resetStream(streamID, errorCode: code)
        case .resetSent(_, let errorCode):
            if errorCode != HTTP2ErrorCode.noError && errorCode != HTTP2ErrorCode.cancel {
                glitch("reset a stream (error \(errorCode))")
            }
        case .invalidFrame:
            glitch("invalid frame")
        }
    }

    private func requestBegan(_ id: Int32) {
        let configuration = core.configuration
        let stream = ServerStream(
            id: id, connection: self, maxHeaderListSize: configuration.maxHeaderListSize,
            queueLimit: configuration.streamQueueLimit)
        if core.interceptors.timing { stream.startedAt = MonotonicClock.now() }
        keepalive.streamActivity()
        streams.insert(stream)
        session.bind(stream, to: id)
        headerBlockStream = stream
    }

    private func header(_ id: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        // The fields of one block arrive back to back: remember its stream instead of a lookup per field.
        let current = headerBlockStream?.id == id ? headerBlockStream : session.stream(id)
        guard let stream = current, stream.phase == .receivingHeaders else { return }
        if stream.head.add(name: name, value: value, router: core.router) == .becameTooLarge {
            glitch("header list too large")
        }
    }

    private func dataReceived(_ streamID: Int32, _ data: UnsafeRawBufferPointer) {
        // The bytes are accounted for at once: what a stream may hold is bounded by the message-size
        // limit (one request message per call), so the window can reopen immediately.
        session.consume(streamID: streamID, count: data.count)
        guard let stream = session.stream(streamID), stream.phase == .receivingBody, stream.deframer != nil
        else { return }
        stream.deframer!.append(data)
        do {
            while let message = try stream.deframer!.next() {
                if stream.request != nil {
                    finish(stream, GRPCStatus(.internal, "more than one request message for a single-request method"))
                    return
                }
                stream.request = message
                stream.requestBytes = message.count
            }
        } catch {
            finish(stream, error)
        }
    }

    private func streamClosed(_ streamID: Int32) {
        guard let stream = session.stream(streamID), streams.remove(stream) else { return }
        if headerBlockStream === stream { headerBlockStream = nil }
        streamGone(stream)
        perform(machine.streamClosed(now: MonotonicClock.now(), openStreams: streams.count))
    }

    /// Counts one protocol glitch; past the limit the connection is told to calm down and closed.
    func glitch(_ what: String) {
        calm(machine.glitch(), what)
    }

    /// PING and SETTINGS are cheap to send and cost us an ACK each: limit them per 10-second window.
    private func controlFrame(_ kind: String) {
        calm(machine.controlFrame(now: MonotonicClock.now()), "\(kind) flood")
    }

    private func calm(_ action: ServerConnectionMachine.Action, _ what: String) {
        guard action != .none else { return }
        core.logger.warning(
            "closing abusive connection with ENHANCE_YOUR_CALM after \(machine.glitches) protocol glitches (last: \(what))",
            metadata: ["peer": "\(peer)"])
        perform(action)
    }
}
