import PulseIO
import PulseProtocol

/// What a handler knows about its call besides the request message.
public struct ServerContext: Sendable {
    /// The method being called.
    public let method: GRPCMethod
    /// Custom request metadata (`-bin` values decoded).
    public let metadata: Metadata
    /// The call's deadline on ``MonotonicClock`` (nanoseconds), or nil when the client sent no `grpc-timeout`.
    public let deadline: UInt64?
    /// The loop that owns the connection; the handler runs on it.
    public let loop: EventLoop
    /// The pool for CPU-heavy work: `try await context.computePool.run { ... }`.
    public let computePool: ComputePool
    /// The pool for calls that block (`PQcancel`, `fsync`): `try await context.blockingPool.run { ... }`.
    public let blockingPool: BlockingPool
    /// The client's address, for logs.
    public let peer: String
    /// The call's stream, for response metadata; used only on `loop`. Nil for work the server does on its own
    /// (``background(loop:computePool:blockingPool:timeout:)``), which has no response to add metadata to.
    let call: LoopBound<ServerStream>?

    init(
        method: GRPCMethod, metadata: Metadata, deadline: UInt64?, loop: EventLoop, computePool: ComputePool,
        blockingPool: BlockingPool, peer: String, call: LoopBound<ServerStream>?
    ) {
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        self.loop = loop
        self.computePool = computePool
        self.blockingPool = blockingPool
        self.peer = peer
        self.call = call
    }

    /// A context for work the server starts itself rather than a client (recomputing cached results after new
    /// bars), so it runs through the same handlers, deadlines and pools as a call. Response metadata goes nowhere:
    /// ``addResponseHeader(_:_:)`` and ``addTrailer(_:_:)`` answer false.
    public static func background(
        loop: EventLoop, computePool: ComputePool, blockingPool: BlockingPool, timeout: Duration
    ) -> ServerContext {
        ServerContext(
            method: GRPCMethod(service: "pulse.internal", name: "Background", kind: .unary), metadata: Metadata(),
            deadline: MonotonicClock.now() &+ timeout.wholeNanoseconds, loop: loop,
            computePool: computePool, blockingPool: blockingPool, peer: "internal", call: nil)
    }

    /// Time left until the deadline in nanoseconds (nil without a deadline, 0 when it has passed).
    public var timeRemaining: UInt64? {
        guard let deadline else { return nil }
        let now = MonotonicClock.now()
        return deadline > now ? deadline - now : 0
    }
}

extension ServerContext {
    /// Adds a response header, sent with the response head. Call on the call's own task (its loop), before
    /// the first response message is sent; returns false when the head is already on its way. Names are
    /// lower-cased; `-bin` names take `.binary` values (sent base64). Pseudo-headers and `grpc-status`,
    /// `grpc-message`, `content-type` are the transport's and are dropped.
    @discardableResult
    public func addResponseHeader(_ name: String, _ value: Metadata.Value) -> Bool {
        add(name, value, to: \.responseHeaders, unless: \.headersSubmitted)
    }

    /// Adds a response trailer, sent after `grpc-status` (also in a Trailers-Only response), e.g.
    /// `grpc-status-details-bin`. Call on the call's own task before it ends; returns false once the
    /// trailers are on their way.
    @discardableResult
    public func addTrailer(_ name: String, _ value: Metadata.Value) -> Bool {
        add(name, value, to: \.responseTrailers, unless: \.trailersSubmitted)
    }

    /// Runs `action` on the call's loop once its HTTP/2 stream is gone (finished and closed, reset by the client,
    /// or its connection closed): for releasing what an interceptor took for the call. Call on the call's task.
    public func onCallEnd(_ action: @escaping @Sendable () -> Void) {
        guard let stream = call?.value else { return action() }
        if stream.isClosed {
            action()
        } else {
            stream.endActions.append(action)
        }
    }

    private func add(
        _ name: String, _ value: Metadata.Value, to fields: ReferenceWritableKeyPath<ServerStream, Metadata>,
        unless sent: KeyPath<ServerStream, Bool>
    ) -> Bool {
        guard let stream = call?.value, !stream[keyPath: sent] else { return false }
        stream[keyPath: fields].append(name: name.lowercased(), value: value)
        return true
    }
}
