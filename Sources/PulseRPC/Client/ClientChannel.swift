import PulseIO
import PulseProtocol
import Synchronization

/// A gRPC client channel: one multiplexed HTTP/2 connection to one server, on one event loop.
///
/// Calls from any task share the connection. When the server goes away (restart, GOAWAY, broken
/// socket) the calls in flight end UNAVAILABLE and the next call dials a new connection.
///
/// ```swift
/// let channel = try ClientChannel(address: ServerAddress(host: "127.0.0.1", port: 50051), loop: loop)
/// let body = try await channel.unary(ClientRequest(path: "/grpc.health.v1.Health/Check", body: framed))
/// ```
public final class ClientChannel: Sendable {
    /// The server this channel dials.
    public let address: ServerAddress
    /// The loop that owns the connection.
    public let loop: EventLoop
    private let settings: HTTP2ClientSession.Settings
    private let current: LoopBound<CurrentConnection>
    /// Set by `close()`. Checked and set under the lock together with handing work to the loop, so no
    /// call can slip onto a loop that is about to stop (it would never be answered).
    private let closed = Mutex(false)

    /// How long a new connection may take to connect and hear the server's HTTP/2 SETTINGS before its
    /// calls fail UNAVAILABLE (a peer that accepts and stays silent must not hang calls without deadline).
    public let connectTimeout: Duration
    /// HTTP/2 keepalive of the channel's connections, or nil for none.
    public let keepalive: ClientKeepalive?
    /// TLS for every connection (nil: h2c).
    public let tls: TLSClientContext?

    /// Creates a channel; it dials lazily, on the first call.
    /// - Parameter tls: TLS with server verification and SNI (see ``TLSClientContext``); nil speaks h2c.
    public init(
        address: ServerAddress, loop: EventLoop, connectTimeout: Duration = .seconds(10),
        keepalive: ClientKeepalive? = nil, tls: TLSClientContext? = nil
    ) {
        self.tls = tls
        self.address = address
        self.loop = loop
        self.connectTimeout = connectTimeout
        self.keepalive = keepalive
        self.settings = HTTP2ClientSession.Settings()
        self.current = LoopBound(CurrentConnection(), loop: loop)
    }

    /// Sends a unary request; returns the response message's body, or throws the call's status.
    public func unary(_ request: ClientRequest) async throws(GRPCStatus) -> [UInt8] {
        let sink = UnaryResponseSink()
        let call = LoopBound(ClientCall(request: request, sink: sink), loop: loop)
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                sink.install(continuation)
                self.submit(call, sink, startInline: true)
            }
        } onCancel: {
            self.cancel(call)
        }
        return try result.get()
    }

    /// Starts a unary call from the channel's loop thread; `completion` gets the response body or the call's status
    /// on that thread, always after this returns. For callers that live on the loop (a load generator keeping
    /// calls in flight): they pay no task switch, continuation or cancellation handler per call, as `unary` does.
    /// There is no per-call cancellation: the deadline or `close()` ends calls. Loop thread only.
    public func startUnary(
        _ request: ClientRequest, completion: @escaping (Result<[UInt8], GRPCStatus>) -> Void
    ) {
        precondition(loop.inEventLoop, "ClientChannel.startUnary is for the channel's loop thread")
        let sink = LoopUnarySink(loop: loop, completion: completion)
        if closed.withLock({ $0 }) {
            sink.finish(GRPCStatus(.unavailable, "the client was closed"))
        } else {
            startOnLoop(ClientCall(request: request, sink: sink))
        }
        sink.startReturned()
    }

    /// Starts a server-streaming call; its messages arrive through the returned stream.
    public func serverStream(_ request: ClientRequest) -> ClientResponseStream {
        let buffer = ClientStreamBuffer()
        let call = LoopBound(ClientCall(request: request, sink: buffer), loop: loop)
        buffer.onReaderCaughtUp = {
            call.execute { call in call.connection?.readerCaughtUp(call) }
        }
        buffer.onCancel = { self.cancel(call) }
        submit(call, buffer)
        return ClientResponseStream(buffer: buffer)
    }

    /// Closes the current connection (GOAWAY); calls still in flight end UNAVAILABLE.
    public func close() async {
        let alreadyClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !alreadyClosed else { return }
        let current = self.current
        await loop.submit {
            let connection = current.value.connection
            current.value.connection = nil
            connection?.shutdown()
        }
    }

    /// Starts `call` on the loop, or ends it (through its `sink`) UNAVAILABLE at once when the channel is closed.
    /// With `startInline`, a caller already on the loop (a task on the loop's executor, never a loop callback)
    /// starts the call at once instead of queueing it: the loop cannot stop while it runs this. A task already
    /// cancelled takes the queue, behind its cancellation, so such a call never reaches the wire (as before).
    private func submit(_ call: LoopBound<ClientCall>, _ sink: any ClientCallSink, startInline: Bool = false) {
        let inline = startInline && loop.inEventLoop && !Task.isCancelled
        let accepted = closed.withLock { closed in
            if !closed && !inline { call.execute { self.startOnLoop($0) } }
            return !closed
        }
        if !accepted {
            sink.finish(GRPCStatus(.unavailable, "the client was closed"))
        } else if inline {
            startOnLoop(call.value)
        }
    }

    private func cancel(_ call: LoopBound<ClientCall>) {
        call.execute { call in
            let status = GRPCStatus(.cancelled, "the call was cancelled by the client")
            if let connection = call.connection {
                connection.cancel(call, status: status)
            } else {
                call.finish(status, on: self.loop)
            }
        }
    }

    private func startOnLoop(_ call: ClientCall) {
        guard !call.isFinished else { return }
        do {
            try connection().start(call)
        } catch {
            call.finish(GRPCStatus(.unavailable, "cannot connect to \(address): \(error)"), on: loop)
        }
    }

    /// The connection new calls go to, dialling one if there is none or the last one retired.
    private func connection() throws -> ClientConnection {
        if let existing = current.value.connection, !existing.isDraining { return existing }
        let fresh = try ClientConnection(
            address: address, loop: loop, settings: settings, handshakeTimeout: connectTimeout,
            keepalive: keepalive, tls: tls)
        fresh.onRetire = { [current] retired in
            if current.value.connection === retired { current.value.connection = nil }
        }
        current.value.connection = fresh
        return fresh
    }
}

/// The connection a channel's calls go to; lives on the channel's loop.
private final class CurrentConnection {
    var connection: ClientConnection?
}
