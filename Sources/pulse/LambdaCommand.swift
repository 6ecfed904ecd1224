import ArgumentParser
import Logging
import PulseBridge
import PulseClient
import PulseIO
import PulseLambda
import PulseMarketData
import PulseRPC
import PulseServer
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// `pulse lambda`: the `bootstrap` of a Lambda custom runtime (`provided.al2023`, or the Debian container
/// image of `deploy/lambda.Dockerfile`). One binary, three functions, chosen by `--handler`:
///
/// - `bridge`: API Gateway REST (1.0), HTTP API (2.0) and WebSocket API events → PulseTrader calls;
/// - `sqs`: "bars ingested" events from SQS → derived data dropped, with `batchItemFailures`;
/// - `ingest`: EventBridge's scheduled event → LoadSymbol for each tracked (or listed) symbol.
struct LambdaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lambda",
        abstract: "Serve Lambda invocations from the Runtime API (the custom runtime's bootstrap).")

    @Option(help: "bridge, sqs or ingest (env PULSE_LAMBDA_HANDLER, else Lambda's _HANDLER).")
    var handler: String?
    @Option(help: "The Runtime API, HOST:PORT (env AWS_LAMBDA_RUNTIME_API, which Lambda sets).")
    var runtimeAPI: String?
    @Option(help: "The PulseTrader server, HOST:PORT (env PULSE_UPSTREAM; default 127.0.0.1:50051).")
    var upstream: String?
    @Flag(help: "Speak TLS to the upstream (an HTTPS load balancer; system CAs; env PULSE_UPSTREAM_TLS=1).")
    var upstreamTLS = false
    @Option(help: "Redis for the WebSocket registry, the tick log and the cache (env REDIS_URL).")
    var redisURL: String?
    @Option(help: "The @connections endpoint, https://…/stage (env PULSE_WS_ENDPOINT; default from the event).")
    var wsEndpoint: String?
    @Option(help: "ingest: comma-separated symbols (env PULSE_INGEST_SYMBOLS; default every tracked symbol).")
    var ingestSymbols: String?

    func run() async throws {
        let env = LambdaEnvironment()
        let kind = handler ?? env["PULSE_LAMBDA_HANDLER"] ?? env["_HANDLER"] ?? ""
        guard ["bridge", "sqs", "ingest"].contains(kind) else {
            throw UsageError("--handler: give bridge, sqs or ingest (or set PULSE_LAMBDA_HANDLER), not '\(kind)'")
        }
        guard let address = runtimeAPI ?? env["AWS_LAMBDA_RUNTIME_API"] else {
            throw UsageError("AWS_LAMBDA_RUNTIME_API is not set: run inside Lambda, or give --runtime-api HOST:PORT")
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let loop = try EventLoop(index: 0)
        defer {
            loop.stop()
            loop.join()
        }
        let http = try HTTPClient(loop: loop)
        let runtime = LambdaRuntime(api: RuntimeAPIClient(address: address, http: http))
        var resources = LambdaResources(tls: upstreamTLS || env["PULSE_UPSTREAM_TLS"] == "1")
        do {
            try await runtime.run {
                try await makeHandler(kind, env: env, loop: loop, http: http, resources: &resources)
            }
        } catch {
            await resources.close()
            await http.close()
            throw error
        }
        await resources.close()
        await http.close()
    }

    private func makeHandler(
        _ kind: String, env: LambdaEnvironment, loop: EventLoop, http: HTTPClient, resources: inout LambdaResources
    ) async throws -> any LambdaHandler {
        switch kind {
        case "sqs":
            let redisURL = try requireRedis(env)
            if let database = env["DATABASE_URL"] {
                // With the database the handler recomputes what clients asked, as `pulse worker` does.
                let runtime = try RecomputeRuntime(
                    database: try PostgresConfiguration(url: database), redis: try RedisConfiguration(url: redisURL),
                    logger: Logger(label: "pulse.lambda.sqs"))
                resources.runtimes.append(runtime)
                return BarsIngestedConsumer(processor: runtime.recomputer)
            }
            let redis = try resources.redis(url: redisURL, loop: loop)
            return BarsIngestedConsumer(processor: DerivedDataInvalidation(cache: MarketCache(redis: redis)))
        case "ingest":
            let client = try resources.client(try upstreamAddress(env))
            let list = ingestSymbols ?? env["PULSE_INGEST_SYMBOLS"] ?? ""
            let symbols = try list.split(separator: ",").map { try Route.checkedSymbol(String($0)) }
            return ScheduledIngestion(client: client, symbols: symbols)
        default:
            let client = try resources.client(try upstreamAddress(env))
            var webSocket: WebSocketBridge?
            if let url = redisURL ?? env["REDIS_URL"] {
                let redisClient = try resources.redis(url: url, loop: loop)
                guard let region = AWSCredentials.region(environment: env.values),
                    let credentials = AWSCredentialChain.provider(environment: env.values, http: http)
                else {
                    throw LambdaFunctionError(
                        type: "Runtime.InitFailed", message: "WebSocket pushes need AWS_REGION and credentials")
                }
                var limit = 50
                if let text = env["PULSE_WS_MAX_SYMBOLS"] {
                    guard let value = Int(text), value > 0 else {
                        throw UsageError("PULSE_WS_MAX_SYMBOLS: '\(text)' is not a positive number")
                    }
                    limit = value
                }
                webSocket = WebSocketBridge(
                    client: client, registry: ConnectionRegistry(redis: redisClient, maxSymbolsPerConnection: limit),
                    poster: ConnectionPoster(http: http, credentials: credentials, region: region),
                    endpoint: wsEndpoint ?? env["PULSE_WS_ENDPOINT"], tickLog: TickLog(redis: redisClient))
            }
            return BridgeLambdaHandler(rest: RESTHandler(client: client), webSocket: webSocket)
        }
    }

    private func requireRedis(_ env: LambdaEnvironment) throws -> String {
        guard let url = redisURL ?? env["REDIS_URL"] else {
            throw UsageError("the sqs handler needs --redis-url or REDIS_URL")
        }
        return url
    }

    private func upstreamAddress(_ env: LambdaEnvironment) throws -> (String, Int) {
        try HostPort.parse(upstream ?? env["PULSE_UPSTREAM"] ?? "127.0.0.1:50051", flag: "--upstream")
    }
}

/// The clients a handler holds, closed when the runtime stops.
struct LambdaResources {
    let tls: Bool
    var clients: [PulseClient] = []
    var redisClients: [RedisClient] = []
    var runtimes: [RecomputeRuntime] = []

    mutating func client(_ address: (String, Int)) throws -> PulseClient {
        let client = try PulseClient(
            host: address.0, port: address.1, tls: tls ? try TLSClientContext(serverName: address.0) : nil)
        clients.append(client)
        return client
    }

    mutating func redis(url: String, loop: EventLoop) throws -> RedisClient {
        let client = RedisClient(configuration: try RedisConfiguration(url: url), loop: loop)
        redisClients.append(client)
        return client
    }

    func close() async {
        for client in clients { await client.close() }
        for client in redisClients { await client.close() }
        for runtime in runtimes { await runtime.close() }
    }
}

/// The variables the Lambda and pusher commands read, read once.
struct LambdaEnvironment {
    static let names = [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "_HANDLER", "PULSE_LAMBDA_HANDLER",
        "PULSE_UPSTREAM", "PULSE_UPSTREAM_TLS", "REDIS_URL", "PULSE_WS_ENDPOINT", "PULSE_WS_MAX_SYMBOLS",
        "PULSE_INGEST_SYMBOLS", "DATABASE_URL",
    ]
    let values: [String: String]

    init() {
        var values: [String: String] = [:]
        for name in Self.names {
            if let raw = getenv(name) { values[name] = String(cString: raw) }
        }
        self.values = values
    }

    subscript(name: String) -> String? { values[name].flatMap { $0.isEmpty ? nil : $0 } }
}

enum HostPort {
    static func parse(_ text: String, flag: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex,
            let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
        else { throw UsageError("\(flag): '\(text)' is not HOST:PORT") }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}
