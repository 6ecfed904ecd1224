import ArgumentParser
import Foundation
import Logging
import PulseMarketData
import PulseRPC
import PulseServer
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// `pulse serve`: the gRPC server. Every flag has an environment variable (`PULSE_HOST`, …); flags win.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gRPC server (h2c, or TLS with --tls-cert; API keys required off loopback).",
        discussion: """
            Prints `listening on HOST:PORT` on standard output once it accepts connections; logs go to \
            standard error. SIGTERM or SIGINT shut down gracefully: in-flight calls get the grace period, \
            then end with UNAVAILABLE, and the process exits 0.
            Environment: PULSE_HOST, PULSE_PORT, PULSE_LOOPS, PULSE_MAX_CONCURRENT_STREAMS, \
            PULSE_MAX_MESSAGE_SIZE, PULSE_MAX_CONNECTIONS, PULSE_IDLE_TIMEOUT, PULSE_GRACE_PERIOD, \
            PULSE_KEEPALIVE_INTERVAL, PULSE_KEEPALIVE_TIMEOUT, PULSE_LOG_LEVEL, DATABASE_URL, REDIS_URL, PULSE_FEED, \
            PULSE_SYMBOLS, PULSE_TICK_RATE, PULSE_SIM_HOURS, PULSE_SIM_SEED, PULSE_SIM_HISTORY_DAYS, PULSE_TICK_RETENTION, \
            PULSE_HEARTBEAT_INTERVAL, ALPHA_VANTAGE_API_KEY, ALPHA_VANTAGE_BASE_URL, ALPHA_VANTAGE_DAILY_LIMIT, \
            ALPHA_VANTAGE_PER_MINUTE, ALPHA_VANTAGE_ENTITLEMENT, ALPHA_VANTAGE_POLL_SECONDS, PULSE_AUTH, \
            PULSE_TLS_CERT, PULSE_TLS_KEY, PULSE_METRICS_PORT, PULSE_ACCESS_LOG, PULSE_SPOOL_DIR, \
            PULSE_SPOOL_MAX_BYTES.
            """)

    @Option(help: "Address to bind (default 127.0.0.1; env PULSE_HOST).")
    var host: String?
    @Option(help: "Port to bind, 0 for any free port (default 50051; env PULSE_PORT).")
    var port: Int?
    @Option(help: "Event loops, one thread each (default: one per core; env PULSE_LOOPS).")
    var loops: Int?
    @Option(help: "SETTINGS_MAX_CONCURRENT_STREAMS per connection (default 100; env PULSE_MAX_CONCURRENT_STREAMS).")
    var maxConcurrentStreams: Int?
    @Option(help: "Largest message in bytes (default 4194304; env PULSE_MAX_MESSAGE_SIZE).")
    var maxMessageSize: Int?
    @Option(help: "Open connections allowed (default 10000; env PULSE_MAX_CONNECTIONS).")
    var maxConnections: Int?
    @Option(
        help:
            "Seconds a connection may sit without streams before it is closed, 0 = never (default 300; env PULSE_IDLE_TIMEOUT)."
    )
    var idleTimeout: Double?
    @Option(help: "Seconds in-flight calls get on shutdown (default 10; env PULSE_GRACE_PERIOD).")
    var gracePeriod: Double?
    @Option(
        help:
            "Seconds without input before the server PINGs a client, 0 = never (default 0; env PULSE_KEEPALIVE_INTERVAL)."
    )
    var keepaliveInterval: Double?
    @Option(
        help: "Seconds a keepalive PING may go unanswered before closing (default 20; env PULSE_KEEPALIVE_TIMEOUT).")
    var keepaliveTimeout: Double?
    @Option(help: "trace, debug, info, notice, warning, error or critical (default info; env PULSE_LOG_LEVEL).")
    var logLevel: String?
    @Option(help: "PostgreSQL connection URL (env DATABASE_URL); optional for now.")
    var databaseURL: String?
    @Option(help: "Redis URL, redis://[:password@]HOST:PORT[/DB] with a numeric host (env REDIS_URL); optional.")
    var redisURL: String?

    @Option(
        name: .long,
        help: "SQS queue for \"bars ingested\" events (env PULSE_SQS_QUEUE_URL; AWS_* for region and credentials).")
    var sqsQueueURL: String?
    @Option(
        help:
            "Live prices: simulated, alphavantage (the tracked symbols' quotes) or none (default alphavantage when ALPHA_VANTAGE_API_KEY is set, else simulated; env PULSE_FEED)."
    )
    var feed: String?
    @Option(
        help: "Symbols of the simulated feed, comma-separated (default AAPL,MSFT,GOOG,AMZN,SPY; env PULSE_SYMBOLS).")
    var symbols: String?
    @Option(help: "Simulated ticks per second over all symbols, up to 1000000 (default 50; env PULSE_TICK_RATE).")
    var tickRate: Double?
    @Option(
        help:
            "When the simulated market trades: always, or exchange (its sessions) (default always; env PULSE_SIM_HOURS)."
    )
    var simHours: String?
    @Option(help: "Seed of the simulated market (default 1; env PULSE_SIM_SEED).")
    var simSeed: UInt64?
    @Option(
        help:
            "Days of simulated daily history (and the last week of minutes) stored for a symbol with no bars yet, so charts start full; 0 for none (default 0; scripts/run.sh asks for 365; env PULSE_SIM_HISTORY_DAYS)."
    )
    var simHistoryDays: Int?
    @Option(help: "API keys required: on, off, or auto = on unless bound to loopback (default auto; env PULSE_AUTH).")
    var auth: String?
    @Option(help: "PEM certificate chain for TLS with ALPN h2; with --tls-key (env PULSE_TLS_CERT). Default: h2c.")
    var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert (env PULSE_TLS_KEY). SIGHUP reloads both files.")
    var tlsKey: String?
    @Option(
        help:
            "Ticks the tick log keeps per symbol; the resume window is this ÷ the tick rate (default 100000; env PULSE_TICK_RETENTION)."
    )
    var tickRetention: Int?
    @Option(
        help:
            "Seconds of quiet before a stream gets a heartbeat for a symbol (default 15; env PULSE_HEARTBEAT_INTERVAL)."
    )
    var heartbeatInterval: Double?
    @Option(
        help:
            "Port of the Prometheus /metrics endpoint on --host, 0 for any free port (default: no metrics; env PULSE_METRICS_PORT)."
    )
    var metricsPort: Int?
    @Option(
        help:
            "Where minute bars wait while PostgreSQL is away (default $PULSE_DATA_DIR/spool, else .data/spool; env PULSE_SPOOL_DIR)."
    )
    var spoolDir: String?
    @Option(help: "One log line per call: on or off (default off; scripts/run.sh turns it on; env PULSE_ACCESS_LOG).")
    var accessLog: String?

    func run() async throws {
        let settings = try resolvedConfiguration()
        let level = try resolvedLogLevel()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "pulse.server")
        logger.logLevel = level
        let application = ServerApplication(configuration: settings, logger: logger)
        let host = settings.rpc.host
        try await application.run { address in
            print("listening on \(address)")
            fflush(nil)  // flushes every stream, standard output included, so scripts see the line at once
        } onMetricsListening: { port in
            print("metrics on http://\(host):\(port)/metrics")
            fflush(nil)
        }
    }

    func resolvedConfiguration() throws -> ServerApplication.Configuration {
        var configuration = ServerApplication.Configuration()
        var rpc = configuration.rpc
        rpc.host = host ?? Self.environment("PULSE_HOST") ?? rpc.host
        rpc.port = try value(port, "PULSE_PORT", "--port", default: rpc.port, range: 0...65535)
        if let count = try optionalValue(loops, "PULSE_LOOPS", "--loops", range: 1...1024) {
            rpc.loops = .exactly(count)
        }
        rpc.maxConcurrentStreams = try value(
            maxConcurrentStreams, "PULSE_MAX_CONCURRENT_STREAMS", "--max-concurrent-streams",
            default: rpc.maxConcurrentStreams, range: 1...1_000_000)
        rpc.maxMessageSize = try value(
            maxMessageSize, "PULSE_MAX_MESSAGE_SIZE", "--max-message-size", default: rpc.maxMessageSize,
            range: 1...(1 << 30))
        rpc.maxConnections = try value(
            maxConnections, "PULSE_MAX_CONNECTIONS", "--max-connections", default: rpc.maxConnections,
            range: 1...10_000_000)
        rpc.idleTimeout = try seconds(idleTimeout, "PULSE_IDLE_TIMEOUT", "--idle-timeout", default: rpc.idleTimeout)
        rpc.gracePeriod = try seconds(gracePeriod, "PULSE_GRACE_PERIOD", "--grace-period", default: rpc.gracePeriod)
        rpc.keepaliveInterval = try seconds(
            keepaliveInterval, "PULSE_KEEPALIVE_INTERVAL", "--keepalive-interval", default: rpc.keepaliveInterval)
        rpc.keepaliveTimeout = try seconds(
            keepaliveTimeout, "PULSE_KEEPALIVE_TIMEOUT", "--keepalive-timeout", default: rpc.keepaliveTimeout)
        rpc.tls = try tlsContext()
        configuration.rpc = rpc
        if let url = databaseURL ?? Self.environment("DATABASE_URL") {
            do {
                configuration.database = try PostgresConfiguration(url: url)
            } catch {
                throw UsageError("--database-url: \(error.message)")
            }
        }
        if let url = redisURL ?? Self.environment("REDIS_URL") {
            do {
                configuration.redis = try RedisConfiguration(url: url)
            } catch {
                throw UsageError("--redis-url: \(error.message)")
            }
        }
        configuration.metricsPort = try optionalValue(
            metricsPort, "PULSE_METRICS_PORT", "--metrics-port", range: 0...65535)
        let access = (accessLog ?? Self.environment("PULSE_ACCESS_LOG") ?? "off").lowercased()
        guard access == "on" || access == "off" else {
            throw UsageError("--access-log: '\(access)' is not one of on, off")
        }
        configuration.accessLog = access == "on"
        configuration.feed = try feedSettings()
        configuration.feed.tickRetention = try value(
            tickRetention, "PULSE_TICK_RETENTION", "--tick-retention", default: configuration.feed.tickRetention,
            range: 1...100_000_000)
        let heartbeat = try seconds(
            heartbeatInterval, "PULSE_HEARTBEAT_INTERVAL", "--heartbeat-interval",
            default: Double(configuration.streams.heartbeatInterval.components.seconds))
        guard heartbeat >= 0.01 else { throw UsageError("--heartbeat-interval: at least 0.01 seconds") }
        configuration.streams.heartbeatInterval = .milliseconds(Int64((heartbeat * 1000).rounded()))
        configuration.feed.spoolDirectory =
            spoolDir ?? Self.environment("PULSE_SPOOL_DIR")
            ?? ((Self.environment("PULSE_DATA_DIR") ?? ".data") + "/spool")
        if let text = Self.environment("PULSE_SPOOL_MAX_BYTES") {
            guard let bytes = Int(text), bytes >= 4096 else {
                throw UsageError("PULSE_SPOOL_MAX_BYTES: '\(text)' is not a whole number of bytes ≥ 4096")
            }
            configuration.feed.spoolMaxBytes = bytes
        }
        if configuration.feed.source == .alphavantage, Self.environment("ALPHA_VANTAGE_API_KEY") == nil {
            throw UsageError("--feed alphavantage needs ALPHA_VANTAGE_API_KEY")
        }
        if Self.environment("ALPHA_VANTAGE_API_KEY") != nil {
            do {
                configuration.alphaVantage = try AlphaVantageConfiguration(
                    environment: ProcessInfo.processInfo.environment)
            } catch {
                throw UsageError("Alpha Vantage: \(error.message)")
            }
        }
        configuration.auth = try authSettings(host: rpc.host)
        if let queue = sqsQueueURL ?? Self.environment("PULSE_SQS_QUEUE_URL") {
            var aws: [String: String] = [:]
            for name in SQSClient.environmentNames { aws[name] = Self.environment(name) }
            guard AWSCredentials.region(environment: aws) != nil else {
                throw UsageError("--sqs-queue-url: set AWS_REGION (and credentials) for SQS")
            }
            configuration.sqsEvents = SQSEventSettings(queueURL: queue, environment: aws)
        }
        return configuration
    }

    /// `--tls-cert` and `--tls-key` (both or neither).
    private func tlsContext() throws -> TLSServerContext? {
        let certificate = tlsCert ?? Self.environment("PULSE_TLS_CERT")
        let key = tlsKey ?? Self.environment("PULSE_TLS_KEY")
        switch (certificate, key) {
        case (nil, nil): return nil
        case (let certificate?, let key?):
            do {
                return try TLSServerContext(certificatePath: certificate, keyPath: key)
            } catch {
                throw UsageError("--tls-cert/--tls-key: \(error)")
            }
        default: throw UsageError("--tls-cert and --tls-key go together")
        }
    }

    /// `--auth` / `PULSE_AUTH`: auth may not be switched off on an address others can reach.
    private func authSettings(host: String) throws -> AuthSettings {
        var settings = AuthSettings()
        let text = auth ?? Self.environment("PULSE_AUTH") ?? settings.mode.rawValue
        guard let mode = AuthSettings.Mode(rawValue: text.lowercased()) else {
            throw UsageError("--auth: '\(text)' is not one of on, off, auto")
        }
        if mode == .off && !AuthSettings.isLoopback(host) {
            throw UsageError("--auth off: auth is always on for a non-loopback address (\(host))")
        }
        settings.mode = mode
        return settings
    }

    private func feedSettings() throws -> FeedSettings {
        var settings = FeedSettings()
        let keyed = Self.environment("ALPHA_VANTAGE_API_KEY") != nil
        let source =
            feed ?? Self.environment("PULSE_FEED")
            ?? (keyed ? FeedSettings.Source.alphavantage : settings.source).rawValue
        guard let parsed = FeedSettings.Source(rawValue: source.lowercased()) else {
            let choices = FeedSettings.Source.allCases.map(\.rawValue).joined(separator: ", ")
            throw UsageError("--feed: '\(source)' is not one of \(choices)")
        }
        settings.source = parsed
        if let list = symbols ?? Self.environment("PULSE_SYMBOLS") {
            let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
            guard !names.isEmpty, names.allSatisfy({ Self.isSymbol($0) }) else {
                throw UsageError(
                    "--symbols: '\(list)' must be comma-separated symbols such as AAPL,MSFT (A-Z, 0-9, . -)")
            }
            settings.symbols = names
        }
        if let rate = try optionalNumber(tickRate, "PULSE_TICK_RATE", "--tick-rate") {
            guard rate > 0, rate <= 1_000_000 else {
                throw UsageError("--tick-rate: \(rate) is outside 0 < rate ≤ 1000000")
            }
            settings.tickRate = rate
        }
        let hours = simHours ?? Self.environment("PULSE_SIM_HOURS") ?? settings.hours.rawValue
        guard let parsedHours = SimulatedMarket.Hours(rawValue: hours.lowercased()) else {
            throw UsageError("--sim-hours: '\(hours)' is not one of always, exchange")
        }
        settings.hours = parsedHours
        if let text = simHistoryDays.map(String.init) ?? Self.environment("PULSE_SIM_HISTORY_DAYS") {
            guard let days = Int(text), (0...9_000).contains(days) else {
                throw UsageError("--sim-history-days: '\(text)' is not a number of days from 0 to 9000")
            }
            settings.historyDays = days
        }
        if let text = Self.environment("ALPHA_VANTAGE_POLL_SECONDS") {
            guard let seconds = Double(text), seconds > 0, seconds <= 86_400 else {
                throw UsageError("ALPHA_VANTAGE_POLL_SECONDS: '\(text)' is not a number of seconds in (0, 86400]")
            }
            settings.pollInterval = .milliseconds(Int64(seconds * 1000))
        }
        if let seed = simSeed {
            settings.seed = seed
        } else if let text = Self.environment("PULSE_SIM_SEED") {
            guard let seed = UInt64(text) else { throw UsageError("PULSE_SIM_SEED: '\(text)' is not a whole number") }
            settings.seed = seed
        }
        return settings
    }

    private static func isSymbol(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 16
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
    }

    private func optionalNumber(_ flag: Double?, _ variable: String, _ name: String) throws -> Double? {
        if let flag { return flag }
        guard let text = Self.environment(variable) else { return nil }
        guard let value = Double(text) else { throw UsageError("\(variable): '\(text)' is not a number") }
        return value
    }

    private func resolvedLogLevel() throws -> Logger.Level {
        let text = logLevel ?? Self.environment("PULSE_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw UsageError(
                "--log-level: '\(text)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        return level
    }

    private static func environment(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        let value = String(decoding: UnsafeRawBufferPointer(start: raw, count: strlen(raw)), as: UTF8.self)
        return value.isEmpty ? nil : value
    }

    private func optionalValue(_ flag: Int?, _ variable: String, _ name: String, range: ClosedRange<Int>) throws -> Int?
    {
        let resolved: Int
        if let flag {
            resolved = flag
        } else if let text = Self.environment(variable) {
            guard let parsed = Int(text) else { throw UsageError("\(variable): '\(text)' is not a whole number") }
            resolved = parsed
        } else {
            return nil
        }
        guard range.contains(resolved) else {
            throw UsageError("\(name): \(resolved) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return resolved
    }

    private func value(
        _ flag: Int?, _ variable: String, _ name: String, default fallback: Int, range: ClosedRange<Int>
    ) throws -> Int {
        try optionalValue(flag, variable, name, range: range) ?? fallback
    }

    private func seconds(_ flag: Double?, _ variable: String, _ name: String, default fallback: Double) throws -> Double
    {
        let resolved: Double
        if let flag {
            resolved = flag
        } else if let text = Self.environment(variable) {
            guard let parsed = Double(text) else {
                throw UsageError("\(variable): '\(text)' is not a number of seconds")
            }
            resolved = parsed
        } else {
            return fallback
        }
        guard resolved >= 0, resolved.isFinite, resolved <= 86_400 * 365 else {
            throw UsageError("\(name): \(resolved) must be between 0 and one year of seconds")
        }
        return resolved
    }
}
