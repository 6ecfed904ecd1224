import Hummingbird
import Logging
import NIOCore

/// The REST benchmark's floor: Hummingbird with one router route, `GET /quotes/{symbol}`, answering a fixed JSON
/// body (what the gateway answered for the same request) with no upstream call. `Benchmarks/gateway` measures the
/// gateway beside it, so the difference is the gateway's own work (the API Gateway event, the handler, the gRPC
/// call), not Hummingbird's. Started by the hidden `pulse gateway --bench-bare-route FILE`.
public struct BareRouteServer: Sendable {
    public var host: String
    public var port: Int
    public var body: [UInt8]

    public init(host: String, port: Int, body: [UInt8]) {
        self.host = host
        self.port = port
        self.body = body
    }

    public func run(onListening: @escaping @Sendable (String, Int) async -> Void) async throws {
        let router = Router()
        let buffer = ByteBuffer(bytes: body)
        router.get("/quotes/:symbol") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: buffer))
        }
        var logger = Logger(label: "pulse.bare-route")
        logger.logLevel = .warning
        let host = self.host
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onListening(host, channel.localAddress?.port ?? 0) }, logger: logger)
        try await app.runService()
    }
}
