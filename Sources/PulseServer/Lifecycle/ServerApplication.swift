import Logging
import PulseIO
import PulseRPC
import PulseStore

/// The `pulse serve` process: event loops, compute pool, the services, health, and the lifecycle
/// from listening to a graceful exit on SIGTERM/SIGINT or task cancellation.
///
/// ```swift
/// var configuration = ServerApplication.Configuration()
/// configuration.rpc.port = 0
/// try await ServerApplication(configuration: configuration).run { address in print("listening on \(address)") }
/// ```
public struct ServerApplication: Sendable {
    /// Everything `pulse serve` can be told.
    public struct Configuration: Sendable {
        /// Transport limits and timeouts.
        public var rpc = ServerConfiguration()
        /// Threads of the compute pool for CPU-heavy handlers.
        public var computeThreads = 2
        /// Whether SIGTERM/SIGINT start a graceful shutdown (off for servers embedded in tests).
        public var handleSignals = true
        /// The PostgreSQL to use (`--database-url` / `DATABASE_URL`); nil = none configured. Stored for the
        /// services that will need it; its description never shows the host, user or password.
        public var database: PostgresConfiguration?

        public init() {}
    }

    public let configuration: Configuration
    public let logger: Logger
    /// Service health; `""` and every service turn SERVING as soon as the server listens.
    public let health = HealthStatusRegistry()

    public init(configuration: Configuration, logger: Logger = Logger(label: "pulse.server")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The services this process serves.
    public func services() -> [any RPCService] {
        [HealthService(registry: health), DiagnosticsService()]
    }

    /// Runs until SIGTERM/SIGINT or cancellation, then shuts down gracefully and returns.
    /// `onListening` is called once with the bound address.
    public func run(onListening: @Sendable (SocketAddress) -> Void = { _ in }) async throws {
        let loopCount: Int
        switch configuration.rpc.loops {
        case .cores: loopCount = EventLoopGroup.coreCount
        case .exactly(let count): loopCount = max(1, count)
        }
        let group = try EventLoopGroup(loops: loopCount)
        let pool = try ComputePool(threads: max(1, configuration.computeThreads))
        defer {
            pool.shutdown()
            group.shutdown()
        }
        let services = services()
        let server = RPCServer(
            configuration: configuration.rpc, services: services, group: group, computePool: pool, logger: logger)
        // SERVING before the socket exists: the first call that can arrive already sees it.
        health.setStatus(.serving, for: "")
        for service in services { health.setStatus(.serving, for: service.serviceName) }
        let address = try await server.start()
        let signals = configuration.handleSignals ? try await installSignalHandling(server, services, group) : nil
        logger.info("listening", metadata: ["address": "\(address)", "loops": "\(loopCount)"])
        onListening(address)
        try await server.run()
        if let signals { await removeSignalHandling(signals, group) }
        let served = await server.statistics()
        logger.info("stopped", metadata: ["served": "\(served)"])
    }

    /// Marks everything NOT_SERVING and ends health watches, so watchers learn of the shutdown first.
    func enterShutdown(_ services: [any RPCService]) {
        health.setStatus(.notServing, for: "")
        for service in services { health.setStatus(.notServing, for: service.serviceName) }
        health.finishAllWatches()
    }

    private func installSignalHandling(
        _ server: RPCServer, _ services: [any RPCService], _ group: EventLoopGroup
    ) async throws -> SignalBox {
        let loop = group.loops[0]
        let application = self
        return try await withCheckedThrowingContinuation { continuation in
            loop.execute {
                do {
                    let notifier = try SignalNotifier(loop: loop) { signal in
                        application.logger.info("signal \(signal): shutting down gracefully")
                        application.enterShutdown(services)
                        server.initiateGracefulShutdown()
                    }
                    continuation.resume(returning: SignalBox(notifier: notifier))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private func removeSignalHandling(_ box: SignalBox, _ group: EventLoopGroup) async {
        await withCheckedContinuation { continuation in
            group.loops[0].execute {
                box.notifier.cancel()
                continuation.resume()
            }
        }
    }
}

/// Carries the loop-bound notifier out of its loop; only used on loop 0.
private final class SignalBox: @unchecked Sendable {
    let notifier: SignalNotifier
    init(notifier: SignalNotifier) { self.notifier = notifier }
}
