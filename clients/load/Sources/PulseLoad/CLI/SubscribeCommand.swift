import ArgumentParser

/// `pulse-load subscribe`.
struct SubscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe",
        abstract: "Server-streaming subscriptions to pulse.v1.Quotes/Subscribe: per-tick latency and sequence gaps.",
        discussion: """
            pulse-load subscribe --target 127.0.0.1:50051 --symbols AAPL,MSFT --streams 1000 --connections 10 \\
                --duration 30s
            """)

    @OptionGroup var common: CommonOptions

    @Option(help: "Symbols every stream subscribes to, comma-separated.")
    var symbols: String

    @Option(help: "Streams in all, spread over the connections.")
    var streams = 1

    @Option(help: "The streaming method.")
    var method = "/pulse.v1.Quotes/Subscribe"

    @Flag(help: "Each stream subscribes to one of the symbols (stream k to the k-th, round robin), not to all.")
    var spread = false

    var symbolList: [String] {
        symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        try common.validateCommon()
        guard streams >= 1, streams <= 1_000_000 else { throw ValidationError("--streams must be at least 1") }
        guard !symbolList.isEmpty else { throw ValidationError("--symbols needs at least one symbol") }
    }

    func run() async throws {
        let (host, port) = try common.parsedTarget()
        var configuration = SubscribeLoadConfiguration(
            host: host, port: port, symbols: symbolList, schema: try common.loadSchema())
        configuration.method = method
        configuration.streams = streams
        configuration.spread = spread
        configuration.connections = common.connections
        configuration.duration = try common.seconds(common.duration ?? "10s", flag: "--duration")
        configuration.warmup = try common.seconds(common.warmup, flag: "--warmup")
        if let loops = common.loops { configuration.loops = loops }
        configuration.progress = common.progressPrinter
        configuration.stopOnInterrupt = true
        try common.finish(try await SubscribeLoad.run(configuration))
    }
}

/// `pulse-load compare OLD.json NEW.json`.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Prints the change of each figure between two JSON reports.")

    @Argument(help: "The earlier report.")
    var before: String

    @Argument(help: "The later report.")
    var after: String

    func run() throws {
        let later = try ReportComparison.load(after)
        print(try ReportComparison.load(before).compare(with: later.json))
    }
}
