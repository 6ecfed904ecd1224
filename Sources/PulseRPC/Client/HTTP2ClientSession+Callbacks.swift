private import CNghttp2

#if canImport(Glibc)
    import Glibc
#endif

extension HTTP2ClientSession {
    /// Installs the nghttp2 callbacks: each recovers the session from `user_data` and delegates to it.
    static func install(on callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, userData in
            guard let frame, let name, let value else { return 0 }
            HTTP2ClientSession.owner(userData).header(
                frame.pointee.hd.stream_id,
                name: commonFieldText(UnsafeBufferPointer(start: name, count: nameLength)),
                value: commonFieldText(UnsafeBufferPointer(start: value, count: valueLength)))
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            let header = frame.pointee.hd
            let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
            switch UInt32(header.type) {
            case NGHTTP2_HEADERS.rawValue:
                let isTrailers = frame.pointee.headers.cat == NGHTTP2_HCAT_HEADERS
                HTTP2ClientSession.owner(userData).headersComplete(
                    header.stream_id, isTrailers: isTrailers, endStream: endStream)
            case NGHTTP2_PING.rawValue where header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0:
                let opaque = withUnsafeBytes(of: frame.pointee.ping.opaque_data) { $0.loadUnaligned(as: UInt64.self) }
                HTTP2ClientSession.owner(userData).pingAcknowledged(opaque)
            case NGHTTP2_GOAWAY.rawValue:
                let goAway = frame.pointee.goaway
                HTTP2ClientSession.owner(userData).goAway(
                    lastStreamID: goAway.last_stream_id, errorCode: goAway.error_code)
            default:
                break
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) {
            _, _, streamID, data, length, userData in
            guard let data else { return 0 }
            HTTP2ClientSession.owner(userData).data(streamID, UnsafeBufferPointer(start: data, count: length))
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            HTTP2ClientSession.owner(userData).streamClosed(streamID, errorCode: errorCode)
            return 0
        }
    }
}

/// The text of a received header name or value. The fields every gRPC response carries come back as the
/// program's own string constants: no allocation or UTF-8 validation for them on every call.
private func commonFieldText(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    guard let base = bytes.baseAddress else { return "" }
    func matches(_ known: StaticString) -> Bool { memcmp(base, known.utf8Start, bytes.count) == 0 }
    switch bytes.count {
    case 1 where base[0] == UInt8(ascii: "0"): return "0"
    case 3 where matches("200"): return "200"
    case 7 where matches(":status"): return ":status"
    case 11 where matches("grpc-status"): return "grpc-status"
    case 12 where matches("content-type"): return "content-type"
    case 16 where matches("application/grpc"): return "application/grpc"
    default: return String(decoding: bytes, as: UTF8.self)
    }
}
