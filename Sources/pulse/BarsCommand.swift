import ArgumentParser
import PulseAnalytics
import PulseClient
import PulseProtocol

/// `pulse bars SYMBOL --timeframe 5m`: stored bars at any timeframe from a running server, every page.
///
/// ```
/// pulse bars AAPL --timeframe 1h --start 2024-03-01 --end 2024-04-01 --format json
/// pulse bars AAPL --timeframe 1Day --limit 30 --adjustment split
/// ```
struct BarsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bars",
        abstract: "Bars of a symbol at any timeframe, from a running server.",
        discussion: """
            Timeframes in our form (1m, 5m, 15m, 1h, 4h, 1d, 1w, 1mo), Alpaca's (5Min, 1Hour, 1Day, 1Week, and 1M \
            for a month) or Alpha Vantage's (5min, 60min, daily, weekly, monthly): m is a minute, M a month. \
            Times are RFC 3339 UTC (dates for days, weeks and months: each bar is stamped at midnight UTC of its \
            first date). --start is inclusive, --end exclusive; --limit keeps the last bars of the range.
            """)

    @Argument(help: "The symbol.")
    var symbol: String

    @Option(name: .long, help: "Bar length: 1m, 5m, 1h, 1d, 1w, 1mo, 5Min, 1Hour, 1Day, 1M, 5min, daily, ….")
    var timeframe: String = "1d"

    @Option(name: .long, help: "First bar time (YYYY-MM-DD, RFC 3339 or Unix seconds), inclusive.")
    var start: String?

    @Option(name: .long, help: "End (YYYY-MM-DD, RFC 3339 or Unix seconds), exclusive.")
    var end: String?

    @Option(name: .long, help: "Only the last N bars of the range.")
    var limit: UInt32 = 0

    @Option(name: .long, help: "Price adjustment: raw, split, dividend or all.")
    var adjustment: String = "raw"

    @Option(name: .long, help: "Output format: csv or json.")
    var format: IndicatorsCommand.OutputFormat = .csv

    @OptionGroup var server: ServerOptions

    func run() async throws {
        let frame: PulseV1.Timeframe
        do { frame = try PulseV1.Timeframe.parsing(timeframe) } catch { throw UsageError("--timeframe: \(error)") }
        let adjustments: [String: PulseV1.Adjustment] = [
            "raw": .raw, "split": .split, "dividend": .dividend, "all": .all,
        ]
        guard let adjust = adjustments[adjustment.lowercased()] else {
            throw UsageError("--adjustment: '\(adjustment)' is not one of raw, split, dividend, all")
        }
        let startMs = try Self.time(start, "--start")
        let endMs = try Self.time(end, "--end")
        let options = server.callOptions
        let (symbol, limit) = (self.symbol, self.limit)
        let bars = try await server.withClient { client in
            try await client.quotes.bars(
                symbol, timeframe: frame, start: startMs, end: endMs, limit: limit, adjustment: adjust,
                options: options)
        }
        let dates = [.day, .week, .month].contains(frame.unit)
        let columns = ["time", "open", "high", "low", "close", "volume"]
        var rows: [String] = []
        rows.reserveCapacity(bars.count)
        for i in 0..<bars.count {
            let iso = TimestampParser.iso8601(bars.timeMs[i] / 1000)
            let values = [
                dates ? String(iso.prefix(10)) : iso, Number.text(bars.open[i]), Number.text(bars.high[i]),
                Number.text(bars.low[i]), Number.text(bars.close[i]),
                i < bars.volume.count ? Number.text(bars.volume[i]) : "",
            ]
            switch format {
            case .csv: rows.append(values.joined(separator: ","))
            case .json: rows.append(JSONLine.object(zip(columns, values).map { ($0, $1) }, strings: ["time"]))
            }
        }
        switch format {
        case .csv: print(([columns.joined(separator: ",")] + rows).joined(separator: "\n"))
        case .json:
            print(
                "{\"symbol\": \"\(JSONLine.escape(symbol))\", \"timeframe\": \"\(frame.text)\", \"bars\": ["
                    + rows.joined(separator: ",\n") + "]}")
        }
    }

    /// Epoch milliseconds of a time option.
    static func time(_ text: String?, _ flag: String) throws -> Int64? {
        guard let text else { return nil }
        guard let seconds = TimestampParser.parse(text) else {
            throw UsageError("\(flag): '\(text)' is not a date (YYYY-MM-DD), an RFC 3339 time or Unix seconds")
        }
        return seconds * 1000
    }
}

/// `pulse clock`: the NYSE clock from a running server.
struct ClockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clock",
        abstract: "Whether the market is open now, and the next open and close, from a running server.")

    @Option(name: .long, help: "Output format: csv or json.")
    var format: IndicatorsCommand.OutputFormat = .csv

    @OptionGroup var server: ServerOptions

    func run() async throws {
        let options = server.callOptions
        let clock = try await server.withClient { client in try await client.quotes.clock(options: options) }
        let fields: [(String, String)] = [
            ("time", TimestampParser.iso8601(clock.timeMs / 1000)), ("is_open", String(clock.isOpen)),
            ("is_extended_hours", String(clock.isExtendedHours)),
            ("next_open", TimestampParser.iso8601(clock.nextOpenTimeMs / 1000)),
            ("next_close", TimestampParser.iso8601(clock.nextCloseTimeMs / 1000)),
        ]
        switch format {
        case .csv:
            print(fields.map(\.0).joined(separator: ","))
            print(fields.map(\.1).joined(separator: ","))
        case .json: print(JSONLine.object(fields, strings: ["time", "next_open", "next_close"]))
        }
    }
}
