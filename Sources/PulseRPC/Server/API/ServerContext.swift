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

    /// Time left until the deadline in nanoseconds (nil without a deadline, 0 when it has passed).
    public var timeRemaining: UInt64? {
        guard let deadline else { return nil }
        let now = MonotonicClock.now()
        return deadline > now ? deadline - now : 0
    }
}
