import ArgumentParser

/// `pulse-load websocket`.
struct WebSocketCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "websocket",
        abstract: "WebSocket subscribers of pulse gateway's /ws: per-tick ingest-to-socket latency and sequence gaps.",
        discussion: """
            Each socket sends {"action":"subscribe","symbols":[…]} and measures each tick from the ingest_time_us the
            gateway adds for sockets that connect with ?timing=1 (same machine's clock as the server's feed).

            pulse-load websocket --target 127.0.0.1:8080 --symbols AAPL,MSFT --sockets 1000 --duration 30s
            """)

    @OptionGroup var common: CommonOptions

    @Option(help: "Symbols every socket subscribes to, comma-separated.")
    var symbols: String

    @Option(help: "WebSocket connections in all.")
    var sockets = 1

    @Option(help: "The gateway's WebSocket path.")
    var path = "/ws"

    @Option(help: "An API key, sent as ?key= on the upgrade (as API Gateway's WebSocket API takes it).")
    var apiKey: String?

    @Flag(help: "Each socket subscribes to one of the symbols (socket k to the k-th, round robin), not to all.")
    var spread = false

    var symbolList: [String] {
        symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        try common.validateCommon()
        guard sockets >= 1, sockets <= 100_000 else { throw ValidationError("--sockets must be 1 to 100000") }
        guard !symbolList.isEmpty else { throw ValidationError("--symbols needs at least one symbol") }
        guard path.hasPrefix("/") else { throw ValidationError("--path must start with /") }
    }

    func run() async throws {
        let (host, port) = try common.parsedTarget()
        var configuration = WebSocketLoadConfiguration(host: host, port: port, symbols: symbolList)
        configuration.path = path
        configuration.sockets = sockets
        configuration.spread = spread
        configuration.apiKey = apiKey
        configuration.duration = try common.seconds(common.duration ?? "10s", flag: "--duration")
        configuration.warmup = try common.seconds(common.warmup, flag: "--warmup")
        if let loops = common.loops { configuration.threads = loops }
        configuration.progress = common.progressPrinter
        configuration.stopOnInterrupt = true
        try common.finish(try await WebSocketLoad.run(configuration))
    }
}
