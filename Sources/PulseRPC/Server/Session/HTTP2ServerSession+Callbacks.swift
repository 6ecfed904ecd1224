internal import CNghttp2

/// nghttp2's callbacks, turned into ``HTTP2ServerEvent``s for the delegate: each recovers the session
/// from `user_data`; none throws across C.
extension HTTP2ServerSession {
    static func installCallbacks(_ callbacks: OpaquePointer) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            let frame = frame!.pointee
            guard frame.hd.type == UInt8(NGHTTP2_HEADERS.rawValue), frame.headers.cat == NGHTTP2_HCAT_REQUEST
            else { return 0 }
            HTTP2ServerSession.owner(userData).delegate.session(.requestBegan(streamID: frame.hd.stream_id))
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, userData in
            HTTP2ServerSession.owner(userData).delegate.session(
                .header(
                    streamID: frame!.pointee.hd.stream_id, name: UnsafeRawBufferPointer(start: name, count: nameLength),
                    value: UnsafeRawBufferPointer(start: value, count: valueLength)))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            if let event = HTTP2ServerSession.received(frame!) {
                HTTP2ServerSession.owner(userData).delegate.session(event)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) {
            _, _, streamID, data, length, userData in
            HTTP2ServerSession.owner(userData).delegate.session(
                .data(streamID: streamID, bytes: UnsafeRawBufferPointer(start: data, count: length)))
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            HTTP2ServerSession.owner(userData).delegate.session(.streamClosed(streamID: streamID, errorCode: errorCode))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, userData in
            let header = frame!.pointee.hd
            switch UInt32(header.type) {
            case NGHTTP2_HEADERS.rawValue where header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0:
                HTTP2ServerSession.owner(userData).delegate.session(.streamEndSent(streamID: header.stream_id))
            case NGHTTP2_RST_STREAM.rawValue:
                HTTP2ServerSession.owner(userData).delegate.session(
                    .resetSent(streamID: header.stream_id, errorCode: frame!.pointee.rst_stream.error_code))
            default:
                break
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks) { _, _, _, userData in
            HTTP2ServerSession.owner(userData).delegate.session(.invalidFrame)
            return 0
        }
    }

    /// The event a received frame means, if any.
    fileprivate static func received(_ frame: UnsafePointer<nghttp2_frame>) -> HTTP2ServerEvent? {
        let header = frame.pointee.hd
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        let ack = header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0
        switch UInt32(header.type) {
        case NGHTTP2_HEADERS.rawValue:
            return .headersComplete(streamID: header.stream_id, endStream: endStream)
        case NGHTTP2_DATA.rawValue:
            return .dataFrame(streamID: header.stream_id, length: header.length, endStream: endStream)
        case NGHTTP2_SETTINGS.rawValue:
            return ack ? nil : .settings
        case NGHTTP2_PING.rawValue:
            let opaque = withUnsafeBytes(of: frame.pointee.ping.opaque_data) { $0.loadUnaligned(as: UInt64.self) }
            return .ping(opaque: opaque, ack: ack)
        default:
            return nil
        }
    }

    fileprivate static func owner(_ userData: UnsafeMutableRawPointer?) -> HTTP2ServerSession {
        Unmanaged<HTTP2ServerSession>.fromOpaque(userData!).takeUnretainedValue()
    }

    /// The data provider every response uses; the stream is found from the stream id.
    static let readCallback: nghttp2_data_source_read_callback = {
        _, streamID, buffer, length, flags, _, userData in
        let chunk = HTTP2ServerSession.owner(userData).delegate.sessionResponseBody(
            streamID: streamID, into: UnsafeMutableRawBufferPointer(start: buffer, count: length))
        switch chunk {
        case .bytes(let count):
            return count
        case .deferred:
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        case .last(let count):
            flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue | NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
            return count
        case .unknownStream:
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
    }
}
