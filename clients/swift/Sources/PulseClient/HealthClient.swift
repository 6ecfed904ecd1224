import PulseProtocol

/// Typed calls of `grpc.health.v1.Health`.
public struct HealthClient: Sendable {
    let client: PulseClient

    /// The serving status of `service` (`""`: the server as a whole). Unknown services fail NOT_FOUND.
    public func check(service: String = "", options: CallOptions = CallOptions()) async throws(RPCError)
        -> HealthCheckResponse.ServingStatus
    {
        let request = HealthCheckRequest(service: service)
        return try await client.unary(PulseMethods.Health.check, request, options: options).status
    }

    /// The serving status of `service` now and at every change, until cancelled.
    public func watch(service: String = "", options: CallOptions = CallOptions()) -> ResponseStream<
        HealthCheckResponse
    > {
        client.serverStream(PulseMethods.Health.watch, HealthCheckRequest(service: service), options: options)
    }
}
