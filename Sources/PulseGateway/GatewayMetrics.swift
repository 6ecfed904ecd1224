import PulseBridge
import PulseMetrics

/// `pulse gateway`'s own Prometheus metrics, served at `GET /metrics` on its port: REST requests by route template
/// and status, their latency, WebSocket connections, messages in, frames pushed, upstream subscriptions.
public struct GatewayMetrics: Sendable {
    public let metrics: ServerMetrics

    public init(metrics: ServerMetrics = ServerMetrics()) { self.metrics = metrics }

    func request(route: String, status: Int, seconds: Double) {
        metrics.registry.makeCounter(
            name: "pulse_gateway_requests_total", labels: [("route", route), ("status", String(status))],
            help: "REST requests answered by the gateway, by route template and HTTP status."
        ).increment()
        metrics.registry.makeValueHistogram(
            name: "pulse_gateway_request_duration_seconds", labels: [("route", route)],
            buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25],
            help: "Time from a REST request's arrival to its answer, by route template."
        ).record(seconds)
    }

    var messagesReceived: Counter {
        metrics.registry.makeCounter(
            name: "pulse_gateway_websocket_messages_total", labels: [],
            help: "WebSocket messages received from browsers.")
    }

    var connectionsOpened: Counter {
        metrics.registry.makeCounter(
            name: "pulse_gateway_websocket_connections_opened_total", labels: [],
            help: "WebSocket connections accepted.")
    }

    /// Frames written to sockets (ticks, acknowledgements, errors, heartbeats; `@connections` posts too).
    var pushes: Counter {
        metrics.registry.makeCounter(
            name: "pulse_gateway_pushes_total", labels: [], help: "Frames pushed to WebSocket connections.")
    }

    var pushesGone: Counter {
        metrics.registry.makeCounter(
            name: "pulse_gateway_pushes_gone_total", labels: [],
            help: "Pushes to a connection that was gone (API Gateway's 410).")
    }

    /// Gauges read at scrape time: open sockets, and the fan-out's upstream subscriptions.
    func watch(connections: LocalConnections, fanout: TickFanout?) {
        metrics.addCollector { metrics in
            metrics.registry.makeGauge(
                name: "pulse_gateway_websocket_connections", labels: [], help: "WebSocket connections open."
            ).set(Double(connections.count))
            if let fanout {
                metrics.registry.makeGauge(
                    name: "pulse_gateway_upstream_subscriptions", labels: [],
                    help: "Quotes.Subscribe calls the gateway has open upstream (one per symbol and key)."
                ).set(Double(await fanout.upstreamCount))
            }
        }
    }

    /// The route template of a path, so the `route` label has a few values whatever browsers send.
    static func routeTemplate(method: String, path: String) -> String {
        if method == "OPTIONS" { return "preflight" }
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        switch (segments.first ?? "", segments.count) {
        case ("health", 1): return "/health"
        case ("quotes", 1): return "/quotes"
        case ("quotes", 2): return "/quotes/{symbol}"
        case ("bars", 2): return "/bars/{symbol}"
        case ("indicators", 2): return "/indicators/{symbol}"
        case ("stocks", 1): return "/stocks"
        case ("prices", 1): return "/prices"
        case ("clock", 1): return "/clock"
        case ("screener", 1): return "/screener"
        case ("load-stock", 1): return "/load-stock"
        case ("backtests", 1): return "/backtests"
        case ("backtests", 2): return "/backtests/{id}"
        case ("@connections", 2): return "/@connections/{connectionId}"
        case ("metrics", 1): return "/metrics"
        default: return "other"
        }
    }
}
