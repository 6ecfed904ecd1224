import Logging
import ServiceLifecycle

/// The one owner of process signals and of the long-running parts of a process (the RPC server now;
/// the feed, ingesters, the gateway and the metrics endpoint later).
///
/// Built on swift-service-lifecycle's `ServiceGroup`: every part is a `Service` (`run() async throws`,
/// which returns once it has stopped). One SIGTERM or SIGINT starts a graceful shutdown that stops the
/// parts one at a time in reverse order of `parts` — the last part listed stops first and has finished
/// before the one before it is told — so list what others depend on first. A part that ends by itself or
/// fails shuts the others down the same way (the error is rethrown by ``run()``); cancelling the task
/// running ``run()`` cancels every part at once.
///
/// ```swift
/// let lifecycle = ProcessLifecycle(parts: [database, rpcServer, healthReporter], logger: logger)
/// try await lifecycle.run()   // returns when every part has stopped
/// ```
public struct ProcessLifecycle: Sendable {
    private let group: ServiceGroup

    /// - Parameters:
    ///   - parts: the long-running parts, in start order (they stop in reverse order).
    ///   - handlesSignals: whether SIGTERM and SIGINT start the graceful shutdown; false leaves signals
    ///     alone (embedded servers, tests). Signals are only ever trapped here, so two parts cannot fight
    ///     over them.
    ///   - logger: where the group logs starts, signals and stops.
    public init(parts: [any Service], handlesSignals: Bool = true, logger: Logger) {
        let services = parts.map { part in
            ServiceGroupConfiguration.ServiceConfiguration(
                service: part, successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup)
        }
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = handlesSignals ? [.sigterm, .sigint] : []
        group = ServiceGroup(configuration: configuration)
    }

    /// Runs every part until all have stopped; rethrows the first failure of a part.
    public func run() async throws {
        try await group.run()
    }

    /// Starts the graceful shutdown as a signal would; callable from anywhere.
    public func triggerGracefulShutdown() async {
        await group.triggerGracefulShutdown()
    }
}
