import GRPCCore

/// `grpc.health.v1.Health/Check`: always SERVING.
struct HealthPeer: RegistrableRPCService {
    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: "grpc.health.v1.Health", method: "Check"),
            deserializer: RawBytesDeserializer(),
            serializer: RawBytesSerializer()
        ) { request, _ in
            _ = try await ServerRequest(stream: request)
            return StreamingServerResponse(single: ServerResponse(message: PeerWire.serving))
        }
    }
}

/// `pulse.v1.Diagnostics/Echo`: answers with the request's payload.
struct DiagnosticsPeer: RegistrableRPCService {
    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: "pulse.v1.Diagnostics", method: "Echo"),
            deserializer: RawBytesDeserializer(),
            serializer: RawBytesSerializer()
        ) { request, _ in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse(
                single: ServerResponse(message: PeerWire.echoResponse(for: single.message)))
        }
    }
}
