import HummingbirdWebSocket
import NIOCore
import PulseBridge
import PulseMetrics

/// The gateway's open WebSocket connections by id: what API Gateway's `@connections` API reaches in the cloud.
/// The fan-out posts through it, and so does `POST /@connections/{id}` on the gateway's HTTP port.
public actor LocalConnections: ConnectionPoster {
    private struct Connection {
        var writer: WebSocketOutboundWriter
        var connectedAtMs: Int64
        var lastActiveAtMs: Int64
    }

    private var connections: [String: Connection] = [:]
    private let pushes: Counter?
    private let pushesGone: Counter?

    public init(metrics: GatewayMetrics? = nil) {
        pushes = metrics?.pushes
        pushesGone = metrics?.pushesGone
    }

    public var count: Int { connections.count }

    func add(_ id: String, writer: WebSocketOutboundWriter, nowMs: Int64) {
        connections[id] = Connection(writer: writer, connectedAtMs: nowMs, lastActiveAtMs: nowMs)
    }

    func remove(_ id: String) { connections[id] = nil }

    func touch(_ id: String, nowMs: Int64) { connections[id]?.lastActiveAtMs = nowMs }

    /// `connectedAt` and `lastActiveAt` in epoch milliseconds, as `GET @connections/{id}` reports them.
    func info(_ id: String) -> (connectedAtMs: Int64, lastActiveAtMs: Int64)? {
        connections[id].map { ($0.connectedAtMs, $0.lastActiveAtMs) }
    }

    /// `DELETE @connections/{id}`: closes the socket; false when there was none.
    func disconnect(_ id: String) async -> Bool {
        guard let connection = connections.removeValue(forKey: id) else { return false }
        try? await connection.writer.close(.normalClosure, reason: nil)
        return true
    }

    public func post(_ message: [UInt8], to connection: String) async -> PostOutcome {
        guard let writer = connections[connection]?.writer else {
            pushesGone?.increment()
            return .gone
        }
        do {
            // Waits for the socket to take it: a slow browser slows its own drain, and the fan-out conflates.
            try await writer.write(.text(String(decoding: message, as: UTF8.self)))
            pushes?.increment()
            return .delivered
        } catch {
            connections[connection] = nil
            pushesGone?.increment()
            return .gone
        }
    }
}
