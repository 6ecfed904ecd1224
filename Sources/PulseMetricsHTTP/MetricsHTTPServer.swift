import Hummingbird
import Logging
import PulseMetrics
import ServiceLifecycle

/// `GET /metrics` in the Prometheus text format over HTTP/1.1, on Hummingbird, as a lifecycle part (it ends with
/// the graceful shutdown). Its own event loops are Hummingbird's, so a scrape never waits behind RPC work and
/// RPC work never waits behind a scrape.
///
/// ```swift
/// let part = MetricsHTTPServer(metrics: metrics, host: "127.0.0.1", port: 9464, logger: logger) { port in … }
/// // in a ProcessLifecycle's parts; curl http://127.0.0.1:9464/metrics
/// ```
public struct MetricsHTTPServer: Service {
    let metrics: ServerMetrics
    let host: String
    let port: Int
    let logger: Logger
    let onListening: @Sendable (Int) -> Void

    public init(
        metrics: ServerMetrics, host: String, port: Int, logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.metrics = metrics
        self.host = host
        self.port = port
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let router = Router()
        let metrics = self.metrics
        let scrapes = metrics.counter("pulse_metrics_scrapes_total")
        router.get("metrics") { _, _ -> Response in
            scrapes.increment()
            let text = await metrics.render()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)  // no line per scrape
        let onListening = self.onListening
        let application = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) }, logger: quiet)
        try await application.run()
    }
}
