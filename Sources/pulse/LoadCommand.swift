import ArgumentParser
import Foundation
import PulseAnalytics
import PulseClient
import PulseProtocol

/// `pulse load SYMBOL`: LoadSymbol on a running server — CSV bytes, simulated history, or an Alpha Vantage
/// backfill that the server runs in the background (`--wait` follows it until it completes or pauses).
///
/// ```
/// pulse load GOOG --file GOOG.csv --server 127.0.0.1:50051
/// pulse load IBM --source alphavantage --timeframe 1m --start 2024-01-01 --end 2024-05-01 --wait
/// ```
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Start tracking a symbol on a server and load its history (LoadSymbol).",
        discussion: """
            Sources: csv (--file, every form `pulse import` reads), simulated (generated, deterministic), \
            alphavantage (a resumable backfill the server runs in the background: on a free key, 25 requests a \
            day, one month of intraday bars per request). Without --source: csv with --file, else the server's \
            default (Alpha Vantage when it has a key, else simulated). Idempotent.
            """)

    enum Source: String, ExpressibleByArgument, CaseIterable {
        case csv, simulated, alphavantage
    }

    @Argument(help: "The symbol, e.g. AAPL.")
    var symbol: String
    @Option(help: "csv, simulated or alphavantage.")
    var source: Source?
    @Option(help: "The CSV file for --source csv (- for standard input).")
    var file: String?
    @Option(help: "The bars' timeframe: 1m 5m 15m 30m 1h 1d (also 5min, 1Hour, 1Day) (default 1d).")
    var timeframe: String = "1d"
    @Option(help: "First bar time (YYYY-MM-DD, RFC 3339 or Unix seconds), inclusive.")
    var start: String?
    @Option(help: "End time, exclusive.")
    var end: String?
    @Flag(help: "For a backfill: wait until it completes, pauses or fails, printing its progress.")
    var wait = false
    @OptionGroup var server: ServerAddressOption

    func run() async throws {
        var request = PulseV1.LoadSymbolRequest()
        request.symbol = symbol
        request.timeframe = try Self.wireTimeframe(timeframe)
        request.startTimeMs = try start.map { try Self.milliseconds($0, flag: "--start") } ?? 0
        request.endTimeMs = try end.map { try Self.milliseconds($0, flag: "--end") } ?? 0
        switch source ?? (file != nil ? .csv : nil) {
        case .csv:
            guard let file else { throw UsageError("--source csv needs --file FILE") }
            request.source = .csv
            request.csv = try IndicatorsCommand.readInput(file)
        case .simulated: request.source = .simulated
        case .alphavantage: request.source = .alphaVantage
        case nil: request.source = .unspecified
        }
        if file != nil, request.source != .csv { throw UsageError("--file is only for --source csv") }
        let shouldWait = wait
        try await server.withClient { client in
            var response = try await client.loading.loadSymbol(request, options: CallOptions(timeout: .seconds(300)))
            print(Self.describe(response))
            while shouldWait, let job = response.job, job.state == .running {
                try await Task.sleep(for: .seconds(2))
                response = try await client.loading.loadSymbol(request)
                print(Self.describe(response))
            }
        }
    }

    static func describe(_ response: PulseV1.LoadSymbolResponse) -> String {
        guard let job = response.job else {
            let range =
                response.barsLoaded == 0 && response.firstTimeMs == 0
                ? "" : " (\(iso(response.firstTimeMs)) … \(iso(response.lastTimeMs)))"
            return "loaded \(response.barsLoaded) bars for \(response.symbol)\(range) from \(name(response.source))"
        }
        let state: String
        switch job.state {
        case .running: state = "running"
        case .paused: state = "paused until \(iso(job.resumeAfterTimeMs))"
        case .completed: state = "completed"
        case .failed: state = "failed"
        default: state = "state \(job.state.rawValue)"
        }
        let why = job.message.isEmpty || job.state == .running || job.state == .completed ? "" : ": \(job.message)"
        return "backfill \(job.id): \(state), \(job.unitsDone)/\(job.unitsTotal) units, \(job.barsStored) bars stored"
            + why
    }

    static func name(_ source: PulseV1.DataSource) -> String {
        switch source {
        case .csv: return "csv"
        case .simulated: return "simulated"
        case .alphaVantage: return "alphavantage"
        default: return "source \(source.rawValue)"
        }
    }

    static func iso(_ ms: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(ms) / 1000)
        return date.formatted(.iso8601)
    }

    /// Our timeframe text (`5m`, `1h`, `1d`), Alpha Vantage's (`5min`) and Alpaca's (`5Min`, `1Hour`, `1Day`).
    static func wireTimeframe(_ text: String) throws -> PulseV1.Timeframe {
        var normalized = text
        for (alpaca, ours) in [("Min", "m"), ("Hour", "h"), ("Day", "d")] where text.hasSuffix(alpaca) {
            normalized = String(text.dropLast(alpaca.count)) + ours
        }
        let parsed: Timeframe
        do {
            parsed = try Timeframe(normalized)
        } catch {
            throw UsageError("--timeframe: \(error)")
        }
        switch parsed.unit {
        case .minute: return PulseV1.Timeframe(UInt32(parsed.count), .minute)
        case .hour: return PulseV1.Timeframe(UInt32(parsed.count), .hour)
        case .day: return PulseV1.Timeframe(1, .day)
        case .week: return PulseV1.Timeframe(1, .week)
        case .month: return PulseV1.Timeframe(1, .month)
        }
    }

    static func milliseconds(_ text: String, flag: String) throws -> Int64 {
        guard let seconds = TimestampParser.parse(text) else {
            throw UsageError("\(flag) \(text): not a time (YYYY-MM-DD, RFC 3339 or Unix seconds)")
        }
        return seconds * 1000
    }
}
