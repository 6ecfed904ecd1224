import Logging
import PulseIO
import ServiceLifecycle
import Synchronization

/// The gRPC server: listens, spreads connections over the loops of a group, serves the methods of
/// its services, and shuts down gracefully.
///
/// ```swift
/// let server = RPCServer(
///     configuration: config, services: [HealthService()], group: group, computePool: pool, blockingPool: blocking)
/// let address = try await server.start()
/// print("listening on \(address)")
/// try await server.run()   // returns after a graceful shutdown
/// ```
public final class RPCServer: Service, Sendable {
    public let configuration: ServerConfiguration
    private let core: ServerCore
    private let state = Mutex<State>(State())

    private struct State {
        var acceptor: LoopBound<ServerAcceptor>?
        var address: SocketAddress?
        var shutdownRequested = false
    }

    /// Creates a server; nothing is bound until ``start()``. `interceptors` run around every call, in order
    /// (see ``ServerInterceptor``).
    public init(
        configuration: ServerConfiguration, services: [any RPCService], group: EventLoopGroup,
        computePool: ComputePool, blockingPool: BlockingPool, interceptors: [any ServerInterceptor] = [],
        logger: Logger = Logger(label: "pulse.rpc")
    ) {
        self.configuration = configuration
        core = ServerCore(
            configuration: configuration, router: MethodRouter(services: services), computePool: computePool,
            blockingPool: blockingPool, interceptors: interceptors, logger: logger, group: group)
    }

    /// The bound address once ``start()`` returned (with the real port when 0 was asked for).
    public var localAddress: SocketAddress? { state.withLock { $0.address } }

    /// Finished calls by status so far, summed over all loops.
    public func statistics() async -> CallStatistics {
        await core.statistics()
    }

    /// Connections open right now.
    public var connectionCount: Int { core.connectionCount }

    /// Binds, listens and starts accepting on the group's first loop. Returns the bound address.
    @discardableResult
    public func start() async throws -> SocketAddress {
        if state.withLock({ $0.acceptor != nil }) { throw RPCServerError(.alreadyStarted, "server already started") }
        let socket: ListeningSocket
        do {
            // Off the loops: a host name may take DNS time.
            let address = try await AddressResolver.resolve(
                host: configuration.host, port: configuration.port, for: .listen, on: core.blockingPool)
            socket = try ListeningSocket(address: address)
        } catch {
            throw RPCServerError(
                .bind, "cannot listen on \(configuration.host):\(configuration.port): \(error)", cause: error)
        }
        let bound = socket.localAddress
        let loop = core.group.loops[0]
        let core = self.core
        let box = try await loop.submit {
            let acceptor = ServerAcceptor(socket: socket, loop: loop, core: core)
            do {
                try acceptor.start()
            } catch {
                throw RPCServerError(.io, "cannot accept: \(error)", cause: error)
            }
            return LoopBound(acceptor, loop: loop)
        }
        state.withLock {
            $0.acceptor = box
            $0.address = bound
        }
        return bound
    }

    /// Stops accepting and starts a graceful shutdown of every connection; callable from any thread,
    /// more than once. ``waitForShutdown()`` returns when it is complete.
    public func initiateGracefulShutdown(gracePeriod: Double? = nil) {
        let acceptor = state.withLock { state -> LoopBound<ServerAcceptor>? in
            if state.shutdownRequested { return nil }
            state.shutdownRequested = true
            return state.acceptor
        }
        guard let acceptor else { return }
        core.logger.info("shutting down", metadata: ["connections": "\(core.connectionCount)"])
        let grace = ServerConnection.nanoseconds(gracePeriod ?? configuration.gracePeriod)
        let core = self.core
        // Stop accepting first, on the acceptor's loop, so no connection arrives after the drain starts.
        acceptor.execute { acceptor in
            acceptor.stop()
            core.shutdownConnections(grace: grace)
        }
    }

    /// Waits until a shutdown was initiated and every connection has closed.
    public func waitForShutdown() async {
        await core.waitUntilDrained()
    }

    /// Serves until the task is cancelled, a graceful shutdown of its ``ProcessLifecycle`` (or
    /// `ServiceGroup`) begins, or ``initiateGracefulShutdown(gracePeriod:)`` is called; then shuts down
    /// gracefully and returns. Starts the server first if needed. This is its `Service` conformance.
    public func run() async throws {
        if state.withLock({ $0.acceptor == nil }) { try await start() }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await waitForShutdown()
            } onGracefulShutdown: {
                self.initiateGracefulShutdown()
            }
        } onCancel: {
            initiateGracefulShutdown()
        }
    }
}
