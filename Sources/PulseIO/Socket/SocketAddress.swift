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

    /// Resolves `host` (a numeric IPv4/IPv6 address, `localhost`, or a name — resolution may block,
    /// so call this before handing work to a loop).
    public init(host: String, port: Int) throws(IOError) {
        guard (0...65535).contains(port) else { throw IOError(operation: "resolve port \(port)", errno: EINVAL) }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let info = result else {
            throw IOError(operation: "resolve host \(host)", errno: rc == EAI_SYSTEM ? Glibc.errno : EINVAL)
        }
        defer { freeaddrinfo(result) }
        storage = sockaddr_storage()
        length = info.pointee.ai_addrlen
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(
                from: UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(info.pointee.ai_addrlen)))
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
