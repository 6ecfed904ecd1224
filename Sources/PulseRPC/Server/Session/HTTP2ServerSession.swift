internal import CNghttp2

/// What an ``HTTP2ServerSession`` learnt from the bytes it was given, in arrival order. Plain values,
/// no C types; the byte buffers are nghttp2's and valid only while the event is being handled.
enum HTTP2ServerEvent {
    /// A client opened a stream with a request header block.
    case requestBegan(streamID: Int32)
    /// One field of the header block being received.
    case header(streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)
    /// A HEADERS frame (with its CONTINUATIONs) is complete.
    case headersComplete(streamID: Int32, endStream: Bool)
    /// Request body bytes of a stream.
    case data(streamID: Int32, bytes: UnsafeRawBufferPointer)
    /// A DATA frame is complete (`length` is its payload length).
    case dataFrame(streamID: Int32, length: Int, endStream: Bool)
    /// The client's SETTINGS (not an ACK).
    case settings
    /// A PING from the client (`ack` false), or the ACK of ours.
    case ping(opaque: UInt64, ack: Bool)
    /// The stream is closed; `errorCode` is the RST_STREAM code (0 for a normal end).
    case streamClosed(streamID: Int32, errorCode: UInt32)
    /// A HEADERS frame that ended the stream went out (trailers, or a Trailers-Only response).
    case streamEndSent(streamID: Int32)
    /// We reset a stream with `errorCode`.
    case resetSent(streamID: Int32, errorCode: UInt32)
    /// The client sent a frame nghttp2 rejected (the connection goes on).
    case invalidFrame
}

/// What the response body provider of a stream hands over.
enum HTTP2ResponseChunk {
    /// This many bytes were copied; more may follow.
    case bytes(Int)
    /// Nothing to send now; ``HTTP2ServerSession/resumeData(streamID:)`` wakes the stream later.
    case deferred
    /// The last bytes of the body (trailers were submitted with ``HTTP2ServerSession/submitTrailer(streamID:_:_:)``).
    case last(Int)
    /// The stream is unknown: nghttp2 resets it.
    case unknownStream
}

/// Where a session's events go, on the session's thread, while ``HTTP2ServerSession/receive(_:)`` or
/// ``HTTP2ServerSession/drainOutput(into:limit:)`` run.
protocol HTTP2ServerSessionDelegate: AnyObject {
    func session(_ event: HTTP2ServerEvent)
    /// Copies response body bytes of `streamID` into `buffer`.
    func sessionResponseBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> HTTP2ResponseChunk
}

/// The server side of one HTTP/2 connection as a byte-in/byte-out machine over an nghttp2 session, the
/// counterpart of `HTTP2ClientSession`: it does no I/O. Received bytes go to ``receive(_:)``, which reports
/// what happened to the delegate; ``drainOutput(into:limit:)`` produces what to write. Hardening options
/// (reset-rate and CONTINUATION limits, outbound ACK and SETTINGS limits) and our SETTINGS are set here.
final class HTTP2ServerSession {
    private var session: OpaquePointer!
    /// The connection that owns this session and outlives it.
    unowned(unsafe) var delegate: (any HTTP2ServerSessionDelegate)!

    init(configuration: ServerConfiguration) throws(RPCServerError) {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else {
            throw RPCServerError(.sessionSetup, "nghttp2_session_callbacks_new failed")
        }
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.installCallbacks(callbacks)

        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else {
            throw RPCServerError(.sessionSetup, "nghttp2_option_new failed")
        }
        defer { nghttp2_option_del(option) }
        // Window updates only once a handler has taken the bytes: a client cannot make us buffer more.
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_option_set_max_outbound_ack(option, 1000)
        nghttp2_option_set_max_settings(option, 32)
        nghttp2_option_set_stream_reset_rate_limit(
            option, configuration.resetRateBurst, configuration.resetRatePerSecond)
        nghttp2_option_set_max_continuations(option, max(1, configuration.maxContinuations))

        var created: OpaquePointer?
        let userData = Unmanaged.passUnretained(self).toOpaque()
        guard nghttp2_session_server_new2(&created, callbacks, userData, option) == 0, let created else {
            throw RPCServerError(.sessionSetup, "nghttp2_session_server_new2 failed")
        }
        session = created

        let settings = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: UInt32(clamping: configuration.maxConcurrentStreams)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(clamping: configuration.maxHeaderListSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES.rawValue), value: 1),
        ]
        let rc = settings.withUnsafeBufferPointer {
            nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), $0.baseAddress, $0.count)
        }
        guard rc == 0 else { throw RPCServerError(.sessionSetup, "nghttp2_submit_settings failed (\(rc))") }
    }

    deinit {
        nghttp2_session_del(session)
    }

    /// Why ``receive(_:)`` failed: the session cannot go on.
    struct Failure: Error {
        let reason: String
        /// A CONTINUATION flood: nghttp2 fails without a GOAWAY, so the owner should ``terminate(errorCode:)``.
        let continuationFlood: Bool
    }

    /// Feeds bytes read from the peer; events reach the delegate as they complete.
    func receive(_ bytes: UnsafeRawBufferPointer) -> Failure? {
        let consumed = nghttp2_session_mem_recv(
            session, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
        guard consumed < 0 else { return nil }
        let code = Int32(consumed)
        return Failure(
            reason: String(cString: nghttp2_strerror(code)),
            continuationFlood: code == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue)
    }

    /// Appends the frames ready to go to `buffer` until it holds `limit` bytes; nil on success, else why not.
    func drainOutput(into buffer: OutputBuffer, limit: Int) -> String? {
        while buffer.count < limit {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            if count < 0 { return String(cString: nghttp2_strerror(Int32(count))) }
            if count == 0 { break }
            buffer.append(chunk!, count: count)
        }
        return nil
    }

    /// True once the session wants neither to read nor to write: it is done with the peer.
    var isFinished: Bool {
        nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0
    }

    // MARK: Streams

    /// Remembers `stream` as the object of `streamID` (nghttp2's per-stream user data: no dictionary).
    func bind(_ stream: ServerStream, to streamID: Int32) {
        nghttp2_session_set_stream_user_data(session, streamID, Unmanaged.passUnretained(stream).toOpaque())
    }

    /// The stream object of `streamID`, while nghttp2 knows the stream.
    func stream(_ streamID: Int32) -> ServerStream? {
        guard let raw = nghttp2_session_get_stream_user_data(session, streamID) else { return nil }
        return Unmanaged<ServerStream>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Starts a response: `fields` as its header block, then a body from the delegate when `withBody`
    /// (otherwise the block ends the stream: a Trailers-Only response or an HTTP error).
    func submitResponse(streamID: Int32, _ fields: UnsafePointer<nghttp2_nv>?, _ count: Int, withBody: Bool) {
        if withBody {
            var provider = nghttp2_data_provider(
                source: nghttp2_data_source(ptr: nil), read_callback: Self.readCallback)
            _ = nghttp2_submit_response(session, streamID, fields, count, &provider)
        } else {
            _ = nghttp2_submit_response(session, streamID, fields, count, nil)
        }
    }

    /// Queues the trailers of `streamID` (allowed from inside the body provider).
    func submitTrailer(streamID: Int32, _ fields: UnsafePointer<nghttp2_nv>, _ count: Int) {
        _ = nghttp2_submit_trailer(session, streamID, fields, count)
    }

    /// Wakes a stream whose body provider answered ``HTTP2ResponseChunk/deferred``.
    func resumeData(streamID: Int32) {
        nghttp2_session_resume_data(session, streamID)
    }

    /// Returns flow-control credit for `count` received bytes of `streamID`.
    func consume(streamID: Int32, count: Int) {
        nghttp2_session_consume(session, streamID, count)
    }

    func resetStream(_ streamID: Int32, errorCode: UInt32) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    // MARK: Connection

    /// The graceful-shutdown notice: a GOAWAY with the largest stream id.
    func submitShutdownNotice() {
        nghttp2_submit_shutdown_notice(session)
    }

    /// GOAWAY(NO_ERROR) naming the last stream processed; the session goes on for the open streams.
    func submitGoAway() {
        nghttp2_submit_goaway(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
            NGHTTP2_NO_ERROR.rawValue, nil, 0)
    }

    /// GOAWAY with `errorCode`; the session finishes once it is sent.
    func terminate(errorCode: UInt32) {
        nghttp2_session_terminate_session(session, errorCode)
    }

    func ping(opaque: UInt64) {
        withUnsafeBytes(of: opaque) { bytes in
            _ = nghttp2_submit_ping(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), bytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }
}

@available(*, unavailable)
extension HTTP2ServerSession: Sendable {}
