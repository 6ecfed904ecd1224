import ArgumentParser
import PulseBridge
import PulseClient
import PulseGateway
import PulseIO
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// `pulse gateway`: the browsers' REST API on a laptop, the same handler the Lambda runs.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Serve the REST API and the WebSocket /ws (API Gateway events to PulseTrader calls) over HTTP/1.1.")

    @Option(help: "Port to listen on, 0 for any free port (default 8080; env PULSE_GATEWAY_PORT).")
    var port: Int?
    @Option(help: "Address to bind (default 127.0.0.1).")
    var host: String = "127.0.0.1"
    @Option(help: "The PulseTrader server, HOST:PORT (default 127.0.0.1:50051, where `pulse serve` listens).")
    var upstream: String = "127.0.0.1:50051"
    @Option(
        help:
            "Redis URL where backtests that outlive their request are kept as jobs (env REDIS_URL; without it every backtest runs inline)."
    )
    var redisURL: String?
    @Option(help: "Seconds without a message after which a WebSocket gets a heartbeat frame (default 10).")
    var heartbeat: Double = 10
    @Option(
        help:
            "The dashboard's folder, served at / (env PULSE_WEB_ROOT; default clients/web of the checkout the binary was built in)."
    )
    var webRoot: String?
    @Flag(help: "Serve no dashboard, only the API.")
    var noDashboard = false
    @Option(help: .hidden)
    var benchBareRoute: String?

    func run() async throws {
        var listenPort = port ?? 8080
        if let benchBareRoute {
            // Benchmarks/gateway's reference: Hummingbird alone, one route answering FILE's bytes.
            guard let bytes = StaticFiles.contents(ofFile: benchBareRoute) else {
                throw ValidationError("--bench-bare-route: cannot read \(benchBareRoute)")
            }
            try await BareRouteServer(host: host, port: listenPort, body: bytes).run { host, port in
                print("gateway listening on \(host):\(port)")
                fflush(nil)
            }
            return
        }
        if port == nil, let raw = getenv("PULSE_GATEWAY_PORT"), raw.pointee != 0 {
            guard let value = Int(String(cString: raw)) else {
                throw ValidationError("PULSE_GATEWAY_PORT: '\(String(cString: raw))' is not a port")
            }
            listenPort = value
        }
        guard (0...65535).contains(listenPort) else { throw ValidationError("--port: \(listenPort) is not a port") }
        guard let colon = upstream.lastIndex(of: ":"), colon != upstream.startIndex,
            let upstreamPort = Int(upstream[upstream.index(after: colon)...]), (1...65535).contains(upstreamPort)
        else { throw ValidationError("--upstream: '\(upstream)' is not HOST:PORT") }
        var upstreamHost = String(upstream[..<colon])
        if upstreamHost.hasPrefix("["), upstreamHost.hasSuffix("]") {
            upstreamHost = String(upstreamHost.dropFirst().dropLast())
        }
        let client = try PulseClient(host: upstreamHost, port: upstreamPort)
        guard heartbeat > 0, heartbeat <= 3600 else {
            throw ValidationError("--heartbeat: \(heartbeat) is not a number of seconds from 0 to 3600")
        }
        var url = redisURL
        if url == nil, let raw = getenv("REDIS_URL"), raw.pointee != 0 { url = String(cString: raw) }
        var redisLoop: EventLoop?
        var jobs: RedisBacktestJobs?
        if let url {
            let configuration: RedisConfiguration
            do { configuration = try RedisConfiguration(url: url) } catch {
                throw ValidationError("--redis-url: \(error.message)")
            }
            let loop = try EventLoop(index: 0)
            redisLoop = loop
            jobs = RedisBacktestJobs(redis: RedisClient(configuration: configuration, loop: loop))
        }
        defer {
            redisLoop?.stop()
            redisLoop?.join()
        }
        let web = try dashboard()
        let metrics = GatewayMetrics()
        let connections = LocalConnections(metrics: metrics)
        var settings = TickFanout.Settings()
        settings.heartbeatInterval = .milliseconds(Int64(heartbeat * 1000))
        let fanout = TickFanout(client: client, poster: connections, settings: settings)
        let gateway = LocalGateway(
            host: host, port: listenPort, handler: RESTHandler(client: client, jobs: jobs),
            webSocket: WebSocketHandler(client: client, fanout: fanout), connections: connections, metrics: metrics,
            web: web)
        do {
            try await gateway.run { host, port in
                print("gateway listening on \(host):\(port)")
                if web != nil { print("dashboard on http://\(host.contains(":") ? "[\(host)]" : host):\(port)/") }
                fflush(nil)  // every stream, standard output included: scripts wait for this line
            }
        } catch {
            await jobs?.redis.close()
            await client.close()
            throw error
        }
        await jobs?.redis.close()
        await client.close()
    }

    /// The dashboard's files: `--web-root` must hold them; found by default, or skipped with a warning.
    func dashboard() throws -> StaticFiles? {
        guard !noDashboard else { return nil }
        if let webRoot {
            do { return try StaticFiles(root: webRoot) } catch { throw ValidationError("--web-root: \(error)") }
        }
        var executable = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &executable, executable.count - 1)
        let path =
            length > 0 ? String(decoding: executable[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        guard let root = StaticFiles.defaultRoot(executable: path), let files = try? StaticFiles(root: root) else {
            let warning = "gateway: no dashboard folder found (--web-root DIR); serving the API only\n"
            _ = warning.withCString { write(2, $0, strlen($0)) }
            return nil
        }
        return files
    }
}
