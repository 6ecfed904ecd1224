import PulseProtocol
import PulseRPC
import PulseServer
import Testing

@Suite("Health and Diagnostics services")
struct ServerServicesTests {
    static func services(_ registry: HealthStatusRegistry) -> (ServerProbe) -> [any RPCService] {
        { _ in [HealthService(registry: registry), DiagnosticsService()] }
    }

    @Test("Check answers the registered status and NOT_FOUND for an unknown service")
    func check() async throws {
        let registry = HealthStatusRegistry()
        registry.setStatus(.serving, for: "")
        registry.setStatus(.notServing, for: "pulse.v1.Quotes")
        try await ServerFixture.withServer(services: Self.services(registry)) { port, _, _ in
            let client = try ServerTestClient(port: port)
            for (service, status) in [
                ("", HealthCheckResponse.ServingStatus.serving), ("pulse.v1.Quotes", .notServing),
            ] {
                let response = client.unary(
                    "/grpc.health.v1.Health/Check", HealthCheckRequest(service: service).serializedBytes())
                let decoded = try HealthCheckResponse(serializedBytes: response.messages.first ?? [])
                #expect(decoded.status == status)
            }
            let unknown = client.unary(
                "/grpc.health.v1.Health/Check", HealthCheckRequest(service: "nope").serializedBytes())
            #expect(unknown.grpcStatus == 5)
        }
    }

    @Test("Watch streams the current status and then every change; unknown starts as SERVICE_UNKNOWN")
    func watch() async throws {
        let registry = HealthStatusRegistry()
        registry.setStatus(.serving, for: "")
        try await ServerFixture.withServer(services: Self.services(registry)) { port, _, _ in
            let client = try ServerTestClient(port: port)
            let known = client.request(
                headers: ServerTestClient.grpcHeaders(path: "/grpc.health.v1.Health/Watch"),
                body: ServerTestClient.frame(HealthCheckRequest(service: "").serializedBytes()))
            let later = client.request(
                headers: ServerTestClient.grpcHeaders(path: "/grpc.health.v1.Health/Watch"),
                body: ServerTestClient.frame(HealthCheckRequest(service: "late").serializedBytes()))
            func statuses(_ id: Int32) -> [HealthCheckResponse.ServingStatus] {
                (client.responses[id]?.messages ?? []).compactMap {
                    try? HealthCheckResponse(serializedBytes: $0).status
                }
            }
            client.run { statuses(known).count == 1 && statuses(later).count == 1 }
            #expect(statuses(known) == [.serving])
            #expect(statuses(later) == [.serviceUnknown])
            registry.setStatus(.notServing, for: "")
            registry.setStatus(.serving, for: "late")
            client.run { statuses(known).count == 2 && statuses(later).count == 2 }
            #expect(statuses(known) == [.serving, .notServing])
            #expect(statuses(later) == [.serviceUnknown, .serving])
            #expect(client.responses[known]?.closed != true)
        }
    }

    @Test("Echo returns the payload, fails on request, and can run on the compute pool")
    func echo() async throws {
        try await ServerFixture.withServer(services: Self.services(HealthStatusRegistry())) { port, _, _ in
            let client = try ServerTestClient(port: port)
            let path = "/pulse.v1.Diagnostics/Echo"
            for pool in [false, true] {
                var request = EchoRequest()
                request.payload = [1, 2, 3]
                request.useComputePool = pool
                let response = client.unary(path, request.serializedBytes())
                #expect(try EchoResponse(serializedBytes: response.messages.first ?? []).payload == [1, 2, 3])
            }
            var failing = EchoRequest()
            failing.failCode = 7
            failing.failMessage = "no"
            let failed = client.unary(path, failing.serializedBytes())
            #expect(failed.grpcStatus == 7)
            #expect(failed.grpcMessage == "no")
            var slow = EchoRequest()
            slow.delayMs = 50
            let start = MonotonicClockProbe.now()
            #expect(client.unary(path, slow.serializedBytes()).grpcStatus == 0)
            #expect(MonotonicClockProbe.now() - start >= 50_000_000)
        }
    }

    @Test("Stream sends count items of payload_size bytes with increasing indexes")
    func stream() async throws {
        try await ServerFixture.withServer(services: Self.services(HealthStatusRegistry())) { port, _, _ in
            let client = try ServerTestClient(port: port)
            let response = client.unary(
                "/pulse.v1.Diagnostics/Stream", StreamRequest(count: 300, payloadSize: 100).serializedBytes())
            let items = try response.messages.map { try StreamItem(serializedBytes: $0) }
            #expect(items.map(\.index) == Array(0..<300))
            #expect(items.allSatisfy { $0.payload.count == 100 })
            #expect(response.grpcStatus == 0)
        }
    }
}
