import ArgumentParser
import Foundation
import PulseAnalytics
import PulseIO
import PulseMarketData
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// `pulse import FILE --symbol S`: loads an OHLCV CSV into PostgreSQL. Idempotent: importing the same file
/// again rewrites no rows (the count of rows written says so).
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an OHLCV CSV file into the database.",
        discussion: """
            Reads every CSV form `pulse indicators` reads, with the same checks (a bad row is reported with its \
            line number and nothing is written). Applies pending migrations first. Prints \
            `imported N bars for S (FIRST … LAST), W rows written`; W is 0 when the same bars were already stored.
            """)

    @Argument(help: "The CSV file (- for standard input).")
    var file: String
    @Option(help: "The symbol the bars belong to, e.g. AAPL.")
    var symbol: String
    @Option(help: "The bars' timeframe: 1m 5m 15m 30m 1h 4h 1d 1w 1mo (default 1d).")
    var timeframe: String = "1d"
    @Option(help: "Where the bars come from, recorded with a new symbol (default csv).")
    var source: String = "csv"
    @Flag(help: "Print how long each phase took (read and check, connect and migrate, write) on standard error.")
    var timings = false
    @Option(
        name: .long,
        help: "SQS queue to tell of the new bars (env PULSE_SQS_QUEUE_URL; AWS_* for region and credentials).")
    var sqsQueueURL: String?
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let symbol = self.symbol.trimmingCharacters(in: .whitespaces).uppercased()
        guard !symbol.isEmpty else { throw UsageError("--symbol: must not be empty") }
        let timeframe: String
        do {
            timeframe = try Timeframe(self.timeframe).description
        } catch {
            throw UsageError("--timeframe: \(error)")
        }
        let configuration = try database.configuration()
        let series = try InputBars.bars(from: IndicatorsCommand.readInput(file), input: file)
        guard let seconds = series.timestamps else {
            throw UsageError("\(file): no parseable time column, so the bars cannot be stored")
        }
        let parsed = clock.now
        let bars = StoredBars(
            timestamps: seconds.map { $0 * 1_000_000 }, open: series.open, high: series.high, low: series.low,
            close: series.close, volume: series.volume ?? Array(repeating: 0, count: series.close.count))
        let source = self.source
        let batchSource = "\(source):\(file == "-" ? "stdin" : String(file.split(separator: "/").last ?? ""))"
        // PULSE_FAILPOINT=import-before-commit kills the process after the bars are copied, before COMMIT
        // (the crash tests of the ingestion ledger).
        let crashBeforeCommit = ProcessInfo.processInfo.environment["PULSE_FAILPOINT"] == "import-before-commit"
        let (summary, connected) = try await PostgresConnection.withConnection(to: configuration) { connection in
            try await SchemaMigrations.apply(on: connection)
            let store = BarStore(connection: connection)
            let id = try await store.symbolID(for: symbol, source: source)
            let connected = ContinuousClock.now
            let summary = try await store.write(bars, symbolID: id, timeframe: timeframe, source: batchSource) {
                if crashBeforeCommit { kill(getpid(), SIGKILL) }
            }
            return (summary, connected)
        }
        if timings {
            let done = clock.now
            StandardError.write(
                "pulse import: read and check \(parsed - started), connect and migrate \(connected - parsed), "
                    + "write (\(summary.path.rawValue)) \(done - connected - (summary.rollupRefresh ?? .zero))"
                    + (summary.rollupRefresh.map { ", rollups \($0)" } ?? ""))
        }
        let range = series.labels.isEmpty ? "" : " (\(series.labels[0]) … \(series.labels[series.labels.count - 1]))"
        print("imported \(summary.bars) bars for \(symbol)\(range), \(summary.rowsWritten) rows written")
        if let event = BarsIngestedEvent.written(
            symbol: symbol, timeframe: timeframe, bars: bars, rows: summary.rowsWritten)
        {
            await Self.announce(event, queueURL: sqsQueueURL)
        }
    }

    /// Sends the "bars ingested" event to `PULSE_SQS_QUEUE_URL` when one is configured (in-process consumers live in
    /// `pulse serve`, not here). A failure is a warning: the bars are stored, and a result cached from the old bars
    /// is never served, since cache keys carry the symbol's data version.
    static func announce(_ event: BarsIngestedEvent, queueURL flag: String?) async {
        var environment: [String: String] = [:]
        for name in SQSClient.environmentNames + ["PULSE_SQS_QUEUE_URL"] {
            if let raw = getenv(name), raw.pointee != 0 { environment[name] = String(cString: raw) }
        }
        guard let queue = flag ?? environment["PULSE_SQS_QUEUE_URL"] else { return }
        do {
            let loop = try EventLoop(index: 0)
            defer {
                loop.stop()
                loop.join()
            }
            let http = try HTTPClient(loop: loop)
            do {
                let sqs = try SQSClient.fromEnvironment(environment, http: http)
                try await sqs.sendMessage(queueURL: queue, body: event.json)
                await http.close()
            } catch {
                await http.close()
                throw error
            }
        } catch {
            StandardError.write("pulse: warning: the bars are stored; the bars-ingested event was not sent: \(error)")
        }
    }
}
