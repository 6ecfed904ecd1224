import PulseIO

/// A server's resolved address: what the client dials, and re-dials after the server restarts.
///
/// Resolution goes through PulseIO's ``AddressResolver``; do it off any event loop (it may block on DNS),
/// or with ``resolve(host:port:on:)`` on a blocking pool.
public struct ServerAddress: Sendable, CustomStringConvertible {
    /// The host as the caller gave it (sent as `:authority`).
    public var host: String { socketAddress.host }
    /// The TCP port.
    public var port: Int { socketAddress.port }
    /// The resolved socket address.
    public let socketAddress: SocketAddress

    /// Resolves `host` (numeric or a name) on the calling thread, which may block.
    public init(host: String, port: Int) throws(IOError) {
        socketAddress = try AddressResolver.resolve(host: host, port: port, for: .connect)
    }

    /// Wraps an address that is already resolved.
    public init(_ socketAddress: SocketAddress) {
        self.socketAddress = socketAddress
    }

    /// Resolves `host` on `pool`, so the awaiting task never blocks on DNS.
    public static func resolve(host: String, port: Int, on pool: BlockingPool) async throws -> ServerAddress {
        ServerAddress(try await AddressResolver.resolve(host: host, port: port, for: .connect, on: pool))
    }

    /// `host:port` (IPv6 literals bracketed), as `:authority` wants it.
    public var description: String { socketAddress.description }
}
