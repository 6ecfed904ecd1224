import ArgumentParser
import Logging
import PulseIO
import PulseLambda
import PulseMarketData
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// `pulse pusher`: follows the tick log in Redis and pushes each tick to the WebSocket connections the
/// registry lists for its symbol, through API Gateway's `@connections` (SigV4-signed), dropping connections
/// that answer 410 Gone. Deployed beside the server; runs until SIGINT/SIGTERM.
struct PusherCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pusher",
        abstract: "Push live ticks to API Gateway WebSocket connections (@connections, SigV4).")

    @Option(
        help:
            "The @connections endpoint, https://{api-id}.execute-api.{region}.amazonaws.com/{stage} (env PULSE_WS_ENDPOINT)."
    )
    var endpoint: String?
    @Option(help: "Redis with the tick log and the registry (env REDIS_URL; default redis://127.0.0.1:6379).")
    var redisURL: String?
    @Option(help: "Signing region (env AWS_REGION).")
    var region: String?
    @Option(help: "Seconds between reads of the followed symbols.")
    var refresh: Double = 1
    @Option(help: "Concurrent HTTP connections to the @connections endpoint.")
    var connections: Int = 32
    @Option(help: "Seconds without a frame after which a connection gets a heartbeat.")
    var heartbeat: Double = 15

    func run() async throws {
        let env = LambdaEnvironment()
        guard let endpoint = endpoint ?? env["PULSE_WS_ENDPOINT"] else {
            throw UsageError("give --endpoint or set PULSE_WS_ENDPOINT")
        }
        guard endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://") else {
            throw UsageError("--endpoint: '\(endpoint)' is not an http(s) URL")
        }
        guard let region = region ?? AWSCredentials.region(environment: env.values) else {
            throw UsageError("give --region or set AWS_REGION")
        }
        guard refresh > 0, refresh <= 60 else { throw UsageError("--refresh: give 0 to 60 seconds") }
        guard (1...1024).contains(connections) else { throw UsageError("--connections: give 1 to 1024") }
        guard heartbeat > 0, heartbeat <= 3600 else { throw UsageError("--heartbeat: give 0 to 3600 seconds") }
        let redisConfiguration: RedisConfiguration
        do {
            redisConfiguration = try RedisConfiguration(url: redisURL ?? env["REDIS_URL"] ?? "redis://127.0.0.1:6379")
        } catch {
            throw UsageError("--redis-url: \(error.message)")
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let loop = try EventLoop(index: 0)
        defer {
            loop.stop()
            loop.join()
        }
        // One host takes every post: more connections to it than the client's default of 8, so a slow answer does
        // not hold up the posts to other browsers.
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.maximumConnectionsPerHost = connections
        let http = try HTTPClient(loop: loop, configuration: httpConfiguration)
        guard let credentials = AWSCredentialChain.provider(environment: env.values, http: http) else {
            await http.close()
            throw UsageError(
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or run where AWS_CONTAINER_CREDENTIALS_* is set)")
        }
        let registryRedis = RedisClient(configuration: redisConfiguration, loop: loop)
        let followRedis = RedisClient(configuration: redisConfiguration, loop: loop)
        let pusher = TickPusher(
            registry: ConnectionRegistry(redis: registryRedis), tickLog: TickLog(redis: followRedis),
            poster: ConnectionPoster(http: http, credentials: credentials, region: region), endpoint: endpoint,
            refreshInterval: .milliseconds(Int64(refresh * 1000)),
            heartbeatInterval: .milliseconds(Int64(heartbeat * 1000)))
        print("pusher running: tick log \(redisConfiguration), pushing to \(endpoint)")
        fflush(nil)
        do {
            try await ProcessLifecycle(parts: [PusherService(pusher: pusher)], logger: Logger(label: "pulse.pusher"))
                .run()
        } catch {
            await registryRedis.close()
            await followRedis.close()
            await http.close()
            throw error
        }
        await registryRedis.close()
        await followRedis.close()
        await http.close()
    }
}
