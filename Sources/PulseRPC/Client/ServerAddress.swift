import PulseIO

#if canImport(Glibc)
    import Glibc
#endif

/// A server's resolved address: what the client dials, and re-dials after the server restarts.
public struct ServerAddress: Sendable, CustomStringConvertible {
    /// The host as the caller gave it (sent as `:authority`).
    public let host: String
    /// The TCP port.
    public let port: Int
    private let sockaddrBytes: [UInt8]
    private let family: Int32

    /// Resolves `host` (numeric or a name; resolution may block, so do it off any event loop).
    public init(host: String, port: Int) throws(IOError) {
        guard (1...65535).contains(port) else { throw IOError(operation: "resolve port \(port)", errno: EINVAL) }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let info = result else {
            throw IOError(operation: "resolve host \(host)", errno: rc == EAI_SYSTEM ? errno : EINVAL)
        }
        defer { freeaddrinfo(result) }
        sockaddrBytes = Array(UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen)))
        family = info.pointee.ai_family
        self.host = host
        self.port = port
    }

    /// `host:port` (IPv6 literals bracketed), as `:authority` wants it.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Opens a non-blocking TCP socket and starts connecting; the connection completes (or fails)
    /// when the socket becomes writable — see `connectionError(of:)`.
    func startConnecting() throws(IOError) -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError.fromErrno("socket") }
        var noDelay: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        let rc = sockaddrBytes.withUnsafeBytes { raw in
            connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        if rc != 0 && errno != EINPROGRESS {
            let error = IOError.fromErrno("connect to \(description)")
            close(fd)
            throw error
        }
        return fd
    }

    /// The outcome of a non-blocking connect once the socket is writable: nil when connected.
    static func connectionError(of fd: Int32) -> Int32? {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return errno }
        return error == 0 ? nil : error
    }
}
