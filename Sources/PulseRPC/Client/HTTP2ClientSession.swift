private import CNghttp2

/// The client side of one HTTP/2 connection as a byte-in/byte-out machine over an nghttp2 session.
///
/// It does no I/O: the connection feeds received bytes to `receive(_:)`, which returns what happened,
/// and writes whatever `drainOutput(into:)` produces. Automatic WINDOW_UPDATEs are off: received DATA
/// counts against the windows until the caller `consume`s it, which is how a slow reader of a server
/// stream stops the server instead of letting bytes pile up in memory.
final class HTTP2ClientSession {
    /// Flow-control windows the client advertises.
    struct Settings: Sendable {
        /// Per-stream receive window: the most a stream can buffer unread.
        var streamWindow: Int32 = 1 << 20
        /// Connection receive window shared by all streams.
        var connectionWindow: Int32 = 16 << 20
    }

    private var session: OpaquePointer?
    // `@exclusivity(unchecked)`: see ClientConnection's tables; these are appended to from nghttp2 callbacks
    // on every frame, one self-contained mutation at a time.
    @exclusivity(unchecked) private var events: [HTTP2ClientEvent] = []
    /// The header block being received: nghttp2 delivers one block's fields back to back, so one is enough.
    @exclusivity(unchecked) private var pendingStreamID: Int32 = 0
    @exclusivity(unchecked) private var pendingFields: [HTTP2HeaderField] = []
    @exclusivity(unchecked) private var outboundBodies = ClientStreamTable<OutboundBody>()

    /// Request bytes not yet handed to nghttp2 for one stream.
    private struct OutboundBody {
        var bytes: [UInt8]
        var offset = 0
    }

    init(settings: Settings = Settings()) throws(HTTP2SessionError) {
        var callbacks: OpaquePointer?
        try check(nghttp2_session_callbacks_new(&callbacks), "create callbacks")
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.install(on: callbacks)

        var option: OpaquePointer?
        try check(nghttp2_option_new(&option), "create options")
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_no_auto_window_update(option, 1)

        let owner = Unmanaged.passUnretained(self).toOpaque()
        try check(nghttp2_session_client_new2(&session, callbacks, owner, option), "create session")

        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(settings.streamWindow)),
        ]
        try check(
            nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count), "settings")
        try check(
            nghttp2_session_set_local_window_size(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, settings.connectionWindow),
            "connection window")
    }

    deinit {
        nghttp2_session_del(session)
    }

    /// Starts a request whose body is `body` (already gRPC-framed); returns its stream id.
    func submitRequest(headers: [HTTP2HeaderField], body: [UInt8]) throws(HTTP2SessionError) -> Int32 {
        try submit(body) { provider in
            withHeaderVector(headers) { vector in
                nghttp2_submit_request(session, nil, vector.baseAddress, vector.count, &provider, nil)
            }
        }
    }

    /// Starts a request from its prebuilt header block, with `authority` as `:authority`; returns its stream id.
    /// Nothing is built per call: the fields are handed to nghttp2 as they are, and `body` is shared, not copied.
    func submitRequest(
        head: ClientRequestHead, authority: UnsafeBufferPointer<UInt8>, body: [UInt8]
    ) throws(HTTP2SessionError) -> Int32 {
        try submit(body) { provider in
            head.withFields(authority: authority) { vector in
                nghttp2_submit_request(session, nil, vector.baseAddress, vector.count, &provider, nil)
            }
        }
    }

    private func submit(
        _ body: [UInt8], _ request: (inout nghttp2_data_provider) -> Int32
    ) throws(HTTP2SessionError) -> Int32 {
        var provider = nghttp2_data_provider()
        provider.read_callback = { session, streamID, buffer, length, flags, _, userData in
            HTTP2ClientSession.owner(userData).readBody(streamID, buffer, length, flags)
        }
        let streamID = request(&provider)
        try check(Int(streamID), "submit request")
        outboundBodies[streamID] = OutboundBody(bytes: body)
        return streamID
    }

    /// Resets a stream with CANCEL (the RPC was cancelled or its deadline passed locally).
    func cancel(streamID: Int32) {
        outboundBodies[streamID] = nil
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, HTTP2ErrorCode.cancel)
    }

    /// Tells the peer the caller has taken `count` body bytes of a stream: reopens both windows.
    func consume(streamID: Int32, count: Int) {
        guard count > 0 else { return }
        _ = nghttp2_session_consume(session, streamID, count)
    }

    /// Sends a PING with `opaque` as its payload (keepalive); its ACK arrives as ``HTTP2ClientEvent/pingAck(opaque:)``.
    func ping(opaque: UInt64) {
        withUnsafeBytes(of: opaque) { bytes in
            _ = nghttp2_submit_ping(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), bytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Sends GOAWAY(NO_ERROR): the client is closing the connection.
    func close() {
        _ = nghttp2_session_terminate_session(session, HTTP2ErrorCode.noError)
    }

    /// Feeds bytes read from the socket; returns the events they completed.
    func receive(_ bytes: UnsafeRawBufferPointer) throws(HTTP2SessionError) -> [HTTP2ClientEvent] {
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let result = nghttp2_session_mem_recv(session, base, bytes.count)
        let produced = events
        events.removeAll(keepingCapacity: true)
        try check(result, "receive")
        return produced
    }

    /// Appends the frames nghttp2 has ready to `buffer` until it holds `limit` bytes (one write for the batch).
    func drainOutput(into buffer: OutputBuffer, limit: Int = .max) throws(HTTP2SessionError) {
        while buffer.count < limit {
            var chunk: UnsafePointer<UInt8>?
            let length = nghttp2_session_mem_send(session, &chunk)
            try check(length, "send")
            guard length > 0, let chunk else { return }
            buffer.append(chunk, count: length)
        }
    }

    /// Appends every frame nghttp2 has ready to `buffer`.
    func drainOutput(into buffer: inout [UInt8]) throws(HTTP2SessionError) {
        let output = OutputBuffer()
        try drainOutput(into: output)
        buffer.append(contentsOf: output.unsent)
    }

    /// Events that arose while sending (a stream closes once its RST_STREAM is out); the caller takes
    /// them after `drainOutput(into:)`.
    func takeEvents() -> [HTTP2ClientEvent] {
        guard !events.isEmpty else { return [] }
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    /// Whether the session still wants to read or write; false once it is finished with the peer.
    var isActive: Bool {
        nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0
    }

    /// Whether a new stream may be opened (false after GOAWAY or when stream ids are exhausted).
    var canOpenStream: Bool {
        nghttp2_session_check_request_allowed(session) != 0
    }

    /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS.
    var peerMaxConcurrentStreams: UInt32 {
        nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
    }

    // MARK: - Callback targets

    func readBody(
        _ streamID: Int32, _ buffer: UnsafeMutablePointer<UInt8>?, _ length: Int, _ flags: UnsafeMutablePointer<UInt32>?
    ) -> Int {
        guard var body = outboundBodies[streamID], let buffer else {
            flags?.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return 0
        }
        let count = min(length, body.bytes.count - body.offset)
        body.bytes.withUnsafeBufferPointer { source in
            buffer.update(from: source.baseAddress! + body.offset, count: count)
        }
        body.offset += count
        if body.offset == body.bytes.count {
            flags?.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            outboundBodies[streamID] = nil
        } else {
            outboundBodies[streamID] = body
        }
        return count
    }

    func header(_ streamID: Int32, name: String, value: String) {
        if streamID != pendingStreamID {
            pendingStreamID = streamID
            pendingFields.removeAll()
        }
        pendingFields.append(HTTP2HeaderField(name: name, value: value))
    }

    func headersComplete(_ streamID: Int32, isTrailers: Bool, endStream: Bool) {
        var fields: [HTTP2HeaderField] = []
        if streamID == pendingStreamID {
            swap(&fields, &pendingFields)
            pendingStreamID = 0
        }
        events.append(.headers(streamID: streamID, fields: fields, isTrailers: isTrailers, endStream: endStream))
    }

    func data(_ streamID: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        // Coalesce the chunks of one read so a large message is one event, not hundreds.
        if case .data(let last, var pending) = events.last, last == streamID {
            events.removeLast()
            pending.append(contentsOf: bytes)
            events.append(.data(streamID: streamID, bytes: pending))
        } else {
            events.append(.data(streamID: streamID, bytes: Array(bytes)))
        }
    }

    func streamClosed(_ streamID: Int32, errorCode: UInt32) {
        if streamID == pendingStreamID {
            pendingStreamID = 0
            pendingFields.removeAll()
        }
        outboundBodies[streamID] = nil
        events.append(.streamClosed(streamID: streamID, errorCode: errorCode))
    }

    func pingAcknowledged(_ opaque: UInt64) {
        events.append(.pingAck(opaque: opaque))
    }

    func goAway(lastStreamID: Int32, errorCode: UInt32) {
        events.append(.goAway(lastStreamID: lastStreamID, errorCode: errorCode))
    }

    static func owner(_ userData: UnsafeMutableRawPointer?) -> HTTP2ClientSession {
        Unmanaged<HTTP2ClientSession>.fromOpaque(userData!).takeUnretainedValue()
    }
}

@available(*, unavailable)
extension HTTP2ClientSession: Sendable {}

private func check(_ code: some BinaryInteger, _ operation: String) throws(HTTP2SessionError) {
    if code < 0 { throw HTTP2SessionError(libraryCode: Int(code), operation: operation) }
}

/// Calls `body` with an `nghttp2_nv` array of `fields` (nghttp2 copies them).
private func withHeaderVector<R>(
    _ fields: [HTTP2HeaderField], _ body: (UnsafeMutableBufferPointer<nghttp2_nv>) -> R
) -> R {
    var vector = HeaderVector(capacity: fields.count)
    for field in fields { vector.append(name: field.name.utf8, value: field.value.utf8) }
    return vector.withFields { fields in
        var fields = fields
        return fields.withUnsafeMutableBufferPointer { body($0) }
    }
}
