import PulseProtocol
import PulseRPC

/// `grpc.health.v1.Health`: Check answers the current status (NOT_FOUND for an unknown service,
/// as grpc's reference server does); Watch streams the status and then every change
/// (SERVICE_UNKNOWN while the service is not registered).
public struct HealthService: RPCService {
    public let registry: HealthStatusRegistry
    public var serviceName: String { PulseMethods.Health.service }

    public init(registry: HealthStatusRegistry) {
        self.registry = registry
    }

    public var methods: [RPCMethodDefinition] {
        let registry = self.registry
        return [
            .unary(PulseMethods.Health.check) { request, _ in
                guard let status = registry.status(of: request.service) else {
                    throw GRPCStatus(.notFound, "unknown service \(request.service)")
                }
                return HealthCheckResponse(status: status)
            },
            .serverStreaming(PulseMethods.Health.watch) { request, writer, _ in
                for await status in registry.watch(request.service) {
                    // Conflating: a watcher that does not read gets the newest status, not a backlog.
                    try await writer.sendLatest(HealthCheckResponse(status: status))
                }
                try Task.checkCancellation()
                throw GRPCStatus(.unavailable, "server is shutting down")
            },
        ]
    }
}
