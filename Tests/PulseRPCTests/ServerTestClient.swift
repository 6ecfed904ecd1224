import CNghttp2
import PulseIO

#if canImport(Glibc)
    import Glibc
#endif

/// A deliberately small, blocking HTTP/2 client for server tests: it sends exactly the frames a test
/// asks for (requests, DATA split anywhere, RST_STREAM, PING) and records everything it receives.
final class ServerTestClient {
    struct Response {
        var headers: [(String, String)] = []
        var trailers: [(String, String)] = []
        var data: [UInt8] = []
        var closed = false
        var closeCode: UInt32 = 0
        var resetReceived: UInt32?

        func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }
        /// grpc-status from the trailers, or from the headers of a Trailers-Only response.
        var grpcStatus: Int? {
            (trailers.first { $0.0 == "grpc-status" } ?? headers.first { $0.0 == "grpc-status" }).flatMap {
                Int($0.1)
            }
        }
        var grpcMessage: String? {
            (trailers.first { $0.0 == "grpc-message" } ?? headers.first { $0.0 == "grpc-message" })?.1
        }
        /// The gRPC messages in `data`, without their prefixes.
        var messages: [[UInt8]] {
            var result: [[UInt8]] = []
            var index = 0
            while index + 5 <= data.count {
                let length = data[index + 1..<index + 5].reduce(0) { $0 << 8 | Int($1) }
                guard index + 5 + length <= data.count else { break }
                result.append(Array(data[index + 5..<index + 5 + length]))
                index += 5 + length
            }
            return result
        }
    }

    let fd: Int32
    var session: OpaquePointer!
    var responses: [Int32: Response] = [:]
    var bodies: [Int32: (bytes: [UInt8], offset: Int, end: Bool)] = [:]
    var pendingEmptyFrames: [Int32: Int] = [:]
    var goaway: (lastStreamID: Int32, errorCode: UInt32)?
    var peerClosed = false
    var pingAcks = 0
    /// PINGs the server sent (nghttp2 acknowledges them by itself).
    var pingsReceived = 0
    /// When false the client never sends WINDOW_UPDATE: a reader that never reads.
    let autoWindowUpdate: Bool

    init(port: Int, autoWindowUpdate: Bool = true, startSession: Bool = true) throws {
        self.autoWindowUpdate = autoWindowUpdate
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw IOError.fromErrno("connect") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if startSession { createSession() }
    }

    deinit {
        if let session { nghttp2_session_del(session) }
        Glibc.close(fd)
    }

    private func createSession() {
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _, frame, name, nameLength, value, valueLength, _, user in
            let client = Unmanaged<ServerTestClient>.fromOpaque(user!).takeUnretainedValue()
            let field = (
                String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self),
                String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
            )
            let id = frame!.pointee.hd.stream_id
            if frame!.pointee.headers.cat == NGHTTP2_HCAT_HEADERS {
                client.responses[id, default: Response()].trailers.append(field)
            } else {
                client.responses[id, default: Response()].headers.append(field)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, id, data, length, user in
            let client = Unmanaged<ServerTestClient>.fromOpaque(user!).takeUnretainedValue()
            client.responses[id, default: Response()].data.append(
                contentsOf: UnsafeBufferPointer(start: data, count: length))
            if client.autoWindowUpdate { nghttp2_session_consume(client.session, id, length) }
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, id, code, user in
            let client = Unmanaged<ServerTestClient>.fromOpaque(user!).takeUnretainedValue()
            client.responses[id, default: Response()].closed = true
            client.responses[id, default: Response()].closeCode = code
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, user in
            let client = Unmanaged<ServerTestClient>.fromOpaque(user!).takeUnretainedValue()
            let header = frame!.pointee.hd
            if header.type == UInt8(NGHTTP2_GOAWAY.rawValue) {
                client.goaway = (frame!.pointee.goaway.last_stream_id, frame!.pointee.goaway.error_code)
            } else if header.type == UInt8(NGHTTP2_RST_STREAM.rawValue) {
                client.responses[header.stream_id, default: Response()].resetReceived =
                    frame!.pointee.rst_stream.error_code
            } else if header.type == UInt8(NGHTTP2_PING.rawValue),
                header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0
            {
                client.pingAcks += 1
            } else if header.type == UInt8(NGHTTP2_PING.rawValue) {
                client.pingsReceived += 1
            }
            return 0
        }
        var option: OpaquePointer?
        nghttp2_option_new(&option)
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_session_client_new2(&session, callbacks, Unmanaged.passUnretained(self).toOpaque(), option)
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil, 0)
    }

    /// The standard headers of a gRPC call, plus `extra`.
    static func grpcHeaders(path: String, extra: [(String, String)] = []) -> [(String, String)] {
        [
            (":method", "POST"), (":scheme", "http"), (":authority", "localhost"), (":path", path),
            ("content-type", "application/grpc"), ("te", "trailers"),
        ] + extra
    }

    /// Frames `body` as one gRPC message.
    static func frame(_ body: [UInt8]) -> [UInt8] {
        let n = UInt32(body.count)
        return [
            0, UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8),
            UInt8(truncatingIfNeeded: n),
        ] + body
    }

    /// Submits a request; `body` nil sends HEADERS with END_STREAM, otherwise the body as DATA
    /// (ending the stream when `endStream`).
    @discardableResult
    func request(headers: [(String, String)], body: [UInt8]?, endStream: Bool = true) -> Int32 {
        let names = headers.map { Array($0.0.utf8) }
        let values = headers.map { Array($0.1.utf8) }
        let namePointers = names.map { bytes -> UnsafeMutablePointer<UInt8> in
            let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, bytes.count))
            pointer.initialize(from: bytes, count: bytes.count)
            return pointer
        }
        let valuePointers = values.map { bytes -> UnsafeMutablePointer<UInt8> in
            let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, bytes.count))
            pointer.initialize(from: bytes, count: bytes.count)
            return pointer
        }
        defer {
            // nghttp2 copied the fields during submit.
            for pointer in namePointers + valuePointers { pointer.deallocate() }
        }
        let fields = headers.indices.map { index in
            nghttp2_nv(
                name: namePointers[index], value: valuePointers[index], namelen: names[index].count,
                valuelen: values[index].count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
        }
        if let body {
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: Self.read)
            let id = nghttp2_submit_request(session, nil, fields, fields.count, &provider, nil)
            bodies[id] = (body, 0, endStream)
            return id
        }
        return nghttp2_submit_request(session, nil, fields, fields.count, nil, nil)
    }

    private static let read: nghttp2_data_source_read_callback = { _, id, buffer, length, flags, _, user in
        let client = Unmanaged<ServerTestClient>.fromOpaque(user!).takeUnretainedValue()
        guard var body = client.bodies[id] else { return Int(NGHTTP2_ERR_DEFERRED.rawValue) }
        if let empty = client.pendingEmptyFrames[id], empty > 0 {
            client.pendingEmptyFrames[id] = empty - 1
            return 0  // an empty DATA frame without END_STREAM
        }
        let count = min(length, body.bytes.count - body.offset)
        if count > 0 {
            body.bytes.withUnsafeBytes {
                UnsafeMutableRawPointer(buffer!).copyMemory(from: $0.baseAddress! + body.offset, byteCount: count)
            }
        }
        body.offset += count
        client.bodies[id] = body
        if body.offset == body.bytes.count {
            if body.end {
                flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            } else if count == 0 {
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            }
        }
        return count
    }

    /// Appends more body bytes to an open request stream.
    func send(_ id: Int32, _ bytes: [UInt8], endStream: Bool) {
        var body = bodies[id] ?? ([], 0, false)
        body.bytes += bytes
        body.end = endStream
        bodies[id] = body
        nghttp2_session_resume_data(session, id)
    }

    /// Queues `count` empty DATA frames (no END_STREAM) on an open request stream.
    func sendEmptyFrames(_ id: Int32, count: Int) {
        pendingEmptyFrames[id, default: 0] += count
        nghttp2_session_resume_data(session, id)
    }

    func reset(_ id: Int32, code: UInt32 = NGHTTP2_CANCEL.rawValue) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, code)
    }

    func ping() {
        nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
    }

    /// Lets the window open for `count` bytes of `id` (for a slow reader that reads late).
    func consume(_ id: Int32, _ count: Int) {
        nghttp2_session_consume(session, id, count)
    }

    /// Pumps I/O until `done` is true, the peer closed, or `timeout` seconds pass. Returns `done()`.
    @discardableResult
    func run(timeout: Double = 5, until done: () -> Bool) -> Bool {
        let deadline = MonotonicClock.now() + UInt64(timeout * 1e9)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !done() && !peerClosed && MonotonicClock.now() < deadline {
            flushOutput()
            var pollfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(0, min(20_000_000, Int64(deadline) - Int64(MonotonicClock.now())) / 1_000_000))
            if poll(&pollfd, 1, max(1, left)) > 0 {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if count == 0 || (count < 0 && errno != EAGAIN) {
                    peerClosed = true
                } else if count > 0, let session {
                    let rc = buffer.withUnsafeBytes {
                        nghttp2_session_mem_recv(session, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count)
                    }
                    if rc < 0 { peerClosed = true }
                }
            }
        }
        return done()
    }

    private func flushOutput() {
        guard let session else { return }
        while true {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            if count <= 0 { return }
            var offset = 0
            while offset < count {
                let sent = Glibc.send(fd, chunk! + offset, count - offset, Int32(MSG_NOSIGNAL))
                if sent > 0 {
                    offset += sent
                } else if errno == EAGAIN {
                    usleep(1000)
                } else {
                    peerClosed = true
                    return
                }
            }
        }
    }

    /// Runs one unary call to completion and returns its response.
    func unary(_ path: String, _ body: [UInt8], extra: [(String, String)] = [], timeout: Double = 5) -> Response {
        let id = request(headers: Self.grpcHeaders(path: path, extra: extra), body: Self.frame(body))
        run(timeout: timeout) { responses[id]?.closed == true }
        return responses[id] ?? Response()
    }
}
