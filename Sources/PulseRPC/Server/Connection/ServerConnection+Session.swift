internal import CNghttp2
import PulseIO

extension ServerConnection {
    /// Creates the nghttp2 server session with our hardening options and queues our SETTINGS.
    func createSession() throws(RPCServerError) {
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
        let configuration = core.configuration
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

    /// Wires nghttp2's callbacks to this class: each recovers the connection from `user_data`
    /// and delegates to a method, never throwing across C.
    private static func installCallbacks(_ callbacks: OpaquePointer) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            ServerConnection.connection(userData).beginHeaders(frame!)
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, userData in
            ServerConnection.connection(userData).header(
                frame!, name: UnsafeRawBufferPointer(start: name, count: nameLength),
                value: UnsafeRawBufferPointer(start: value, count: valueLength))
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            ServerConnection.connection(userData).frameReceived(frame!)
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) {
            _, _, streamID, data, length, userData in
            ServerConnection.connection(userData).dataReceived(
                streamID, UnsafeRawBufferPointer(start: data, count: length))
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            ServerConnection.connection(userData).streamClosed(streamID, errorCode: errorCode)
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, userData in
            ServerConnection.connection(userData).frameSent(frame!)
        }
        nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks) { _, _, _, userData in
            ServerConnection.connection(userData).glitch("invalid frame")
            return 0
        }
    }

    private static func connection(_ userData: UnsafeMutableRawPointer?) -> ServerConnection {
        Unmanaged<ServerConnection>.fromOpaque(userData!).takeUnretainedValue()
    }

    /// The stream object for `id`, through nghttp2's per-stream user data (no dictionary lookup).
    func stream(_ id: Int32) -> ServerStream? {
        guard let raw = nghttp2_session_get_stream_user_data(session, id) else { return nil }
        return Unmanaged<ServerStream>.fromOpaque(raw).takeUnretainedValue()
    }

    /// The data provider every response uses; the stream is found from the stream id.
    static let readCallback: nghttp2_data_source_read_callback = {
        session, streamID, buffer, length, flags, _, userData in
        ServerConnection.connection(userData).readResponse(streamID, into: buffer!, capacity: length, flags: flags!)
    }
}
