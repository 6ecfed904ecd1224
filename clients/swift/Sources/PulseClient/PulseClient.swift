import PulseIO
import PulseProtocol
import PulseRPC

@_exported import struct PulseRPC.ClientKeepalive
@_exported import class PulseRPC.TLSClientContext

/// A client for a PulseTrader server: typed async calls over one multiplexed HTTP/2 connection.
///
/// ```swift
/// try await PulseClient.withClient(host: "127.0.0.1", port: 50051) { client in
///     let health = try await client.health.check()
///     for try await item in client.diagnostics.stream(count: 3) { print(item.index) }
/// }
/// ```
///
/// Calls may be made from any task, concurrently. If the server restarts, calls in flight fail with
/// UNAVAILABLE and the next call reconnects.
public final class PulseClient: Sendable {
    /// The underlying channel, for calls this type has no typed method for yet.
    public let channel: ClientChannel
    private let ownedLoops: EventLoopGroup?

    /// Connects lazily to `host:port`, on a private event loop.
    /// - Parameters:
    ///   - connectTimeout: how long a connection may take to connect and hear the server's HTTP/2
    ///     SETTINGS; calls waiting on it then fail UNAVAILABLE.
    ///   - keepalive: HTTP/2 PINGs while calls are in flight, so a dead server or a dropped connection
    ///     fails the calls UNAVAILABLE instead of hanging them (nil: none).
    ///   - tls: TLS with the server's certificate verified (``TLSClientContext``: a CA file, the name to check and
    ///     send as SNI); nil speaks h2c.
    /// - Throws: `RPCError` with code UNAVAILABLE when the host cannot be resolved.
    public convenience init(
        host: String, port: Int, connectTimeout: Duration = .seconds(10), keepalive: ClientKeepalive? = nil,
        tls: TLSClientContext? = nil
    ) throws(RPCError) {
        let loops: EventLoopGroup
        do {
            loops = try EventLoopGroup(loops: 1)
        } catch {
            throw RPCError(code: .unavailable, message: "cannot start the client's event loop: \(error)")
        }
        do {
            try self.init(
                host: host, port: port, loop: loops.next(), owning: loops, connectTimeout: connectTimeout,
                keepalive: keepalive, tls: tls)
        } catch {
            loops.shutdown()
            throw error
        }
    }

    /// Connects lazily to `host:port` on an event loop the caller owns (and keeps running).
    public convenience init(
        host: String, port: Int, loop: EventLoop, connectTimeout: Duration = .seconds(10),
        keepalive: ClientKeepalive? = nil, tls: TLSClientContext? = nil
    ) throws(RPCError) {
        try self.init(
            host: host, port: port, loop: loop, owning: nil, connectTimeout: connectTimeout, keepalive: keepalive,
            tls: tls)
    }

    private init(
        host: String, port: Int, loop: EventLoop, owning loops: EventLoopGroup?, connectTimeout: Duration,
        keepalive: ClientKeepalive?, tls: TLSClientContext?
    ) throws(RPCError) {
        let address: ServerAddress
        do {
            address = try ServerAddress(host: host, port: port)
        } catch {
            throw RPCError(code: .unavailable, message: "cannot resolve \(host):\(port): \(error)")
        }
        channel = ClientChannel(
            address: address, loop: loop, connectTimeout: connectTimeout, keepalive: keepalive, tls: tls)
        ownedLoops = loops
    }

    deinit {
        // A client dropped without `close()` must not leave its loop thread running.
        for loop in ownedLoops?.loops ?? [] { loop.stop() }
    }

    /// Closes the connection and stops the client's own event loop. Calls in flight end UNAVAILABLE.
    public func close() async {
        await channel.close()
        ownedLoops?.shutdown()
    }

    /// Runs `body` with a client and closes it afterwards, also when `body` throws.
    public static func withClient<T>(
        host: String, port: Int, _ body: (PulseClient) async throws -> T
    ) async throws -> T {
        let client = try PulseClient(host: host, port: port)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    /// `grpc.health.v1.Health`.
    public var health: HealthClient { HealthClient(client: self) }
    /// `pulse.v1.Diagnostics`.
    public var diagnostics: DiagnosticsClient { DiagnosticsClient(client: self) }
}
