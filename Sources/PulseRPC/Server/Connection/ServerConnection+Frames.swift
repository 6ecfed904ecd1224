internal import CNghttp2
import PulseIO
import PulseProtocol

/// nghttp2 callbacks: frames and header fields arriving, frames leaving, streams closing.
extension ServerConnection {
    func beginHeaders(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        guard frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
            frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
        else { return 0 }
        let id = frame.pointee.hd.stream_id
        let configuration = core.configuration
        let stream = ServerStream(
            id: id, connection: self, maxHeaderListSize: configuration.maxHeaderListSize,
            queueLimit: configuration.streamQueueLimit)
        if core.interceptors.timing { stream.startedAt = MonotonicClock.now() }
        keepalive.streamActivity()
        streams.insert(stream)
        nghttp2_session_set_stream_user_data(session, id, Unmanaged.passUnretained(stream).toOpaque())
        headerBlockStream = stream
        return 0
    }

    func header(
        _ frame: UnsafePointer<nghttp2_frame>, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer
    ) -> Int32 {
        // The fields of one block arrive back to back: remember its stream instead of a lookup per field.
        let id = frame.pointee.hd.stream_id
        let current = headerBlockStream?.id == id ? headerBlockStream : stream(id)
        guard let stream = current, stream.phase == .receivingHeaders else { return 0 }
        if stream.head.add(name: name, value: value, router: core.router) == .becameTooLarge {
            glitch("header list too large")
        }
        return 0
    }

    func frameReceived(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        let header = frame.pointee.hd
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(header.type) {
        case NGHTTP2_HEADERS.rawValue:
            headerBlockStream = nil
            guard let stream = stream(header.stream_id) else { return 0 }
            if stream.phase == .receivingHeaders {
                headersComplete(stream)
            }
            if endStream { requestEnded(stream) }
        case NGHTTP2_DATA.rawValue:
            if header.length == 0 && !endStream { glitch("empty DATA frame") }
            if endStream, let stream = stream(header.stream_id) { requestEnded(stream) }
        case NGHTTP2_SETTINGS.rawValue:
            if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 {
                if machine.settingsReceived() {
                    if let handshakeTimer { loop.cancelTimer(handshakeTimer) }
                    handshakeTimer = nil
                    core.logger.debug("connection established", metadata: ["peer": "\(peer)"])
                }
                controlFrame("SETTINGS")
            }
        case NGHTTP2_PING.rawValue:
            if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 {
                let opaque = withUnsafeBytes(of: frame.pointee.ping.opaque_data) { $0.loadUnaligned(as: UInt64.self) }
                keepalive.pingAckReceived(opaque: opaque, now: MonotonicClock.now())
            } else {
                controlFrame("PING")
                if keepalive.policy.minPeerPingInterval > 0 {
                    apply(keepalive.peerPingReceived(now: MonotonicClock.now()))
                }
            }
        default:
            break
        }
        return 0
    }

    func dataReceived(_ streamID: Int32, _ data: UnsafeRawBufferPointer) -> Int32 {
        // The bytes are accounted for at once: what a stream may hold is bounded by the message-size
        // limit (one request message per call), so the window can reopen immediately.
        nghttp2_session_consume(session, streamID, data.count)
        guard let stream = stream(streamID), stream.phase == .receivingBody, stream.deframer != nil else { return 0 }
        stream.deframer!.append(data)
        do {
            while let message = try stream.deframer!.next() {
                if stream.request != nil {
                    finish(stream, GRPCStatus(.internal, "more than one request message for a single-request method"))
                    return 0
                }
                stream.request = message
                stream.requestBytes = message.count
            }
        } catch {
            finish(stream, error)
        }
        return 0
    }

    func streamClosed(_ streamID: Int32, errorCode: UInt32) -> Int32 {
        guard let stream = stream(streamID), streams.remove(stream) else { return 0 }
        if headerBlockStream === stream { headerBlockStream = nil }
        streamGone(stream)
        perform(machine.streamClosed(now: MonotonicClock.now(), openStreams: streams.count))
        return 0
    }

    func frameSent(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        let header = frame.pointee.hd
        switch UInt32(header.type) {
        case NGHTTP2_HEADERS.rawValue:
            guard header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0,
                let stream = stream(header.stream_id), let code = stream.resetAfterTrailers, !stream.remoteClosed
            else { return 0 }
            // Only now: resetting earlier would discard the queued trailers.
            nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), header.stream_id, code)
        case NGHTTP2_RST_STREAM.rawValue:
            let code = frame.pointee.rst_stream.error_code
            if code != NGHTTP2_NO_ERROR.rawValue && code != NGHTTP2_CANCEL.rawValue {
                glitch("reset a stream (error \(code))")
            }
        default:
            break
        }
        return 0
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
