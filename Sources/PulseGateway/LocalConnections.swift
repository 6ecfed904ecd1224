import HummingbirdWebSocket
import NIOCore
import PulseBridge
import PulseMetrics
import Synchronization

/// The gateway's open WebSocket connections by id: what API Gateway's `@connections` API reaches in the cloud.
/// The fan-out posts through it, and so does `POST /@connections/{id}` on the gateway's HTTP port.
public final class LocalConnections: ConnectionPoster {
    private struct Connection {
        var writer: WebSocketOutboundWriter
        var connectedAtMs: Int64
        var lastActiveAtMs: Int64
    }

    // A lock, not an actor: every push looks its socket up here, and a thousand sockets' pushes queueing for one
    // actor's turn would serialise the fan-out on the lookup.
    private let connections = Mutex<[String: Connection]>([:])
    private let pushes: Counter?
    private let pushesGone: Counter?

    public init(metrics: GatewayMetrics? = nil) {
        pushes = metrics?.pushes
        pushesGone = metrics?.pushesGone
    }

    public var count: Int { connections.withLock { $0.count } }

    func add(_ id: String, writer: WebSocketOutboundWriter, nowMs: Int64) {
        connections.withLock { $0[id] = Connection(writer: writer, connectedAtMs: nowMs, lastActiveAtMs: nowMs) }
    }

    func remove(_ id: String) { connections.withLock { $0[id] = nil } }

    func touch(_ id: String, nowMs: Int64) { connections.withLock { $0[id]?.lastActiveAtMs = nowMs } }

    /// `connectedAt` and `lastActiveAt` in epoch milliseconds, as `GET @connections/{id}` reports them.
    func info(_ id: String) -> (connectedAtMs: Int64, lastActiveAtMs: Int64)? {
        connections.withLock { $0[id].map { ($0.connectedAtMs, $0.lastActiveAtMs) } }
    }

    /// `DELETE @connections/{id}`: closes the socket; false when there was none.
    func disconnect(_ id: String) async -> Bool {
        guard let connection = connections.withLock({ $0.removeValue(forKey: id) }) else { return false }
        try? await connection.writer.close(.normalClosure, reason: nil)
        return true
    }

    public func post(_ message: [UInt8], to connection: String) async -> PostOutcome {
        guard let writer = connections.withLock({ $0[connection]?.writer }) else {
            pushesGone?.increment()
            return .gone
        }
        do {
            // Waits for the socket to take it: a slow browser slows its own drain, and the fan-out conflates.
            try await writer.write(.text(String(decoding: message, as: UTF8.self)))
            pushes?.increment()
            return .delivered
        } catch {
            remove(connection)
            pushesGone?.increment()
            return .gone
        }
    }
}
