internal import CPulseLinux

#if canImport(Glibc)
    import Glibc
#endif

/// A non-blocking TCP listening socket. Owns its descriptor and closes it in `deinit`.
public final class ListeningSocket {
    /// The descriptor, registered with one loop that accepts on it.
    public let fd: Int32
    /// The address actually bound (the real port when 0 was asked for).
    public let localAddress: SocketAddress

    /// Binds and listens on `address` with `SO_REUSEADDR`.
    public init(address: SocketAddress, backlog: Int32 = 1024) throws(IOError) {
        let fd = try IOError.check(
            "socket",
            socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0))
        do {
            var one: Int32 = 1
            try IOError.check(
                "setsockopt(SO_REUSEADDR)",
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)))
            try IOError.check("bind \(address)", address.withSockaddr { Glibc.bind(fd, $0, $1) })
            try IOError.check("listen", Glibc.listen(fd, backlog))
            localAddress = try SocketAddress.local(of: fd)
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.fd = fd
    }

    private var isClosed = false

    deinit { close() }

    /// Closes the socket: connections not yet accepted are refused from now on. Idempotent.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    /// Accepts one pending connection as a non-blocking socket with `TCP_NODELAY`, or nil when none
    /// is pending. The caller owns the returned descriptor.
    public func accept() throws(IOError) -> Int32? {
        let client = Glibc.accept(fd, nil, nil)
        if client < 0 {
            let error = IOError.fromErrno("accept")
            if error.isWouldBlock || error.errno == EINTR || error.errno == ECONNABORTED { return nil }
            throw error
        }
        let flags = fcntl(client, F_GETFL)
        _ = fcntl(client, F_SETFL, flags | O_NONBLOCK)
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        var one: Int32 = 1
        _ = setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return client
    }
}

@available(*, unavailable)
extension ListeningSocket: Sendable {}
