internal import CPulseLinux

#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 or IPv6 address and port, resolved from a numeric host or `localhost`.
public struct SocketAddress: Sendable, CustomStringConvertible {
    /// The host as given (numeric form after resolution).
    public var host: String
    public var port: Int
    fileprivate var storage: sockaddr_storage
    fileprivate var length: socklen_t

    /// Resolves `host` (a numeric IPv4/IPv6 address, `localhost`, or a name) for binding — resolution may
    /// block, so call it off any event loop, or use ``AddressResolver/resolve(host:port:for:on:)``.
    public init(host: String, port: Int) throws(IOError) {
        self = try AddressResolver.resolve(host: host, port: port, for: .listen)
    }

    /// An address `getaddrinfo` returned, keeping the host as it was asked for.
    init(host: String, port: Int, raw: UnsafePointer<sockaddr>, length: socklen_t) {
        storage = sockaddr_storage()
        self.length = length
        withUnsafeMutableBytes(of: &storage) { bytes in
            bytes.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: Int(length)))
        }
        self.host = host
        self.port = port
    }

    fileprivate init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        var copy = storage
        if storage.ss_family == sa_family_t(AF_INET6) {
            let (host, port) = withUnsafePointer(to: &copy) { pointer in
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { in6 in
                    var address = in6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                    return (Self.decodeCString(text), Int(UInt16(bigEndian: in6.pointee.sin6_port)))
                }
            }
            self.host = host
            self.port = port
        } else {
            let (host, port) = withUnsafePointer(to: &copy) { pointer in
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { in4 in
                    var address = in4.pointee.sin_addr
                    inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
                    return (Self.decodeCString(text), Int(UInt16(bigEndian: in4.pointee.sin_port)))
                }
            }
            self.host = host
            self.port = port
        }
    }

    private static func decodeCString(_ text: [CChar]) -> String {
        let bytes = text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    var family: Int32 { Int32(storage.ss_family) }

    /// `HOST:PORT`, with brackets around an IPv6 host.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var copy = storage
        return withUnsafePointer(to: &copy) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    /// The local address a socket is bound to.
    static func local(of fd: Int32) throws(IOError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        try IOError.check("getsockname", rc)
        return SocketAddress(storage: storage, length: length)
    }

    /// Opens a non-blocking TCP socket with `TCP_NODELAY` and starts connecting to this address; the
    /// connection completes (or fails) when the socket becomes writable — see
    /// ``SocketIO/connectionError(of:)``. The caller owns the returned descriptor.
    public func startConnecting() throws(IOError) -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError.fromErrno("socket") }
        var noDelay: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        let rc = withSockaddr { Glibc.connect(fd, $0, $1) }
        if rc != 0 && errno != EINPROGRESS {
            let error = IOError.fromErrno("connect to \(description)")
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    /// The peer address of a connected socket, or nil when it cannot be read.
    static func peer(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        return rc == 0 ? SocketAddress(storage: storage, length: length) : nil
    }
}
