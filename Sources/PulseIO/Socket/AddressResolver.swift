internal import CPulseLinux

#if canImport(Glibc)
    import Glibc
#endif

/// The one place names become addresses: `getaddrinfo` for TCP, first result taken.
///
/// `getaddrinfo` may block for seconds (DNS), so it never runs on an event loop: call the async form,
/// which runs it on a ``BlockingPool``, or the synchronous one from a thread that may block.
///
/// ```swift
/// let address = try await AddressResolver.resolve(host: "db.internal", port: 5432, on: blockingPool)
/// ```
public enum AddressResolver {
    /// How the address will be used: bound by a server (`AI_PASSIVE`) or dialled by a client.
    public enum Purpose: Sendable {
        case listen
        case connect
    }

    /// Resolves `host` (numeric IPv4/IPv6, `localhost`, or a name) and `port` on the calling thread,
    /// which may block. Not on an event loop thread.
    public static func resolve(host: String, port: Int, for purpose: Purpose = .connect) throws(IOError)
        -> SocketAddress
    {
        let ports = purpose == .listen ? 0...65535 : 1...65535
        guard ports.contains(port) else { throw IOError(operation: "resolve port \(port)", errno: EINVAL) }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        if purpose == .listen { hints.ai_flags = AI_PASSIVE }
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let info = result else {
            throw IOError(operation: "resolve host \(host)", errno: rc == EAI_SYSTEM ? Glibc.errno : EINVAL)
        }
        defer { freeaddrinfo(result) }
        return SocketAddress(host: host, port: port, raw: info.pointee.ai_addr, length: info.pointee.ai_addrlen)
    }

    /// Resolves on `pool`, so the awaiting task (and its loop) never blocks on DNS.
    public static func resolve(
        host: String, port: Int, for purpose: Purpose = .connect, on pool: BlockingPool
    ) async throws -> SocketAddress {
        try await pool.run { () throws(IOError) -> SocketAddress in try resolve(host: host, port: port, for: purpose) }
    }
}
