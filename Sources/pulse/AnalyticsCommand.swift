import ArgumentParser
import PulseAnalytics
import PulseStore

/// `pulse analytics SYMBOL --metric M`: the analytical SQL of PulseStore's `BarAnalytics` over a symbol's stored
/// bars, straight from PostgreSQL.
///
///     pulse analytics AAPL --metric returns --timeframe 1d --window 21 --start 2024-01-01
///     pulse analytics AAPL --metric holes --start 2024-03-01 --end 2024-04-01 --format json
struct AnalyticsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analytics",
        abstract: "Returns, VWAP, rolling volatility, drawdown or data holes of a stored symbol, computed in SQL.",
        discussion: """
            returns: close / close WINDOW bars earlier - 1. volatility: sample standard deviation of the last \
            WINDOW log returns, times the square root of --periods-per-year (default: the timeframe's, 252 for \
            1d; 1 gives the raw deviation). vwap: session VWAP, summed over each US/Eastern day. drawdown: \
            close / highest close of the range so far - 1. holes: runs of missing 1-minute bars inside NYSE \
            sessions (regular hours, or with --extended-hours 04:00-20:00 ET), and sessions with no minute \
            (whole_session), for the sessions opening in the range; without --start/--end, over the stored minutes. --start is inclusive, --end \
            exclusive. Values look back before --start as far as they need.
            """)

    enum Metric: String, ExpressibleByArgument, CaseIterable {
        case returns, volatility, vwap, drawdown, holes
    }

    @Argument(help: "The stored symbol, e.g. AAPL.")
    var symbol: String
    @Option(help: "returns, volatility, vwap, drawdown or holes.")
    var metric: Metric
    @Option(help: "The stored timeframe to read (default 1d; holes always read 1m).")
    var timeframe: String = "1d"
    @Option(help: "Bars in the window of returns and volatility (default 20).")
    var window: Int = 20
    @Option(help: "Annualisation of volatility: bars a year (default: the timeframe's).")
    var periodsPerYear: Double?
    @Option(help: "First bar time (YYYY-MM-DD, RFC 3339 or Unix seconds), inclusive.")
    var start: String?
    @Option(help: "End (YYYY-MM-DD, RFC 3339 or Unix seconds), exclusive.")
    var end: String?
    @Flag(help: "holes: count the extended hours (04:00-20:00 ET) as the session.")
    var extendedHours = false
    @Option(help: "Output format: csv or json.")
    var format: IndicatorsCommand.OutputFormat = .csv
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let symbol = self.symbol.trimmingCharacters(in: .whitespaces).uppercased()
        guard !symbol.isEmpty else { throw UsageError("SYMBOL must not be empty") }
        let frame: Timeframe
        do {
            frame = try Timeframe(metric == .holes ? "1m" : timeframe)
        } catch {
            throw UsageError("--timeframe: \(error)")
        }
        let startSeconds = try BarsCommand.time(start, "--start").map { $0 / 1000 }
        let endSeconds = try BarsCommand.time(end, "--end").map { $0 / 1000 }
        let configuration = try database.configuration()
        let table: Table
        do {
            table = try await PostgresConnection.withConnection(to: configuration) { connection in
                try await compute(
                    BarAnalytics(connection: connection), symbol, frame, startSeconds.map { $0 * 1_000_000 },
                    endSeconds.map { $0 * 1_000_000 })
            }
        } catch let error as BarAnalyticsError {
            throw UsageError(error.description)
        }
        print(table.render(format, symbol: symbol, metric: metric.rawValue, dates: isDaily(frame)))
    }

    private func isDaily(_ frame: Timeframe) -> Bool { [.day, .week, .month].contains(frame.unit) }

    private func compute(
        _ analytics: BarAnalytics, _ symbol: String, _ frame: Timeframe, _ start: Int64?, _ end: Int64?
    ) async throws -> Table {
        let name = frame.description
        switch metric {
        case .returns:
            let points = try await analytics.returns(symbol, timeframe: name, window: window, start: start, end: end)
            return Table.points(points)
        case .volatility:
            let points = try await analytics.rollingVolatility(
                symbol, timeframe: name, window: window, periodsPerYear: periodsPerYear ?? frame.periodsPerYear,
                start: start, end: end)
            return Table.points(points)
        case .vwap:
            return Table.points(try await analytics.vwap(symbol, timeframe: name, start: start, end: end))
        case .drawdown:
            let series = try await analytics.drawdown(symbol, timeframe: name, start: start, end: end)
            return Table(
                columns: ["time", "close", "peak", "peak_time", "drawdown"],
                times: ["time", "peak_time"],
                rows: series.points.map {
                    [.time($0.time), .number($0.close), .number($0.peak), .time($0.peakTime), .number($0.drawdown)]
                })
        case .holes:
            var first = start
            var last = end
            if first == nil || last == nil, let stored = try await analytics.storedRange(symbol, timeframe: "1m") {
                first = first ?? stored.first
                last = last ?? (stored.last + 60_000_000)
            }
            guard let first, let last, first < last else {
                return Table(columns: DataHole.columns, times: ["session", "first", "last"], rows: [])
            }
            let days = ExchangeCalendar.nyse.sessions(
                from: EasternTime.sessionDay(at: floorDivision(first, 1_000_000)),
                through: EasternTime.sessionDay(at: floorDivision(last - 1, 1_000_000)))
            let sessions =
                days
                .map {
                    extendedHours
                        ? (open: $0.preMarketOpen, close: $0.afterHoursClose) : (open: $0.open, close: $0.close)
                }
                .filter { $0.open * 1_000_000 >= first && $0.open * 1_000_000 < last }
            guard sessions.count <= BarAnalytics.maxSessions else {
                throw UsageError("--start/--end: at most \(BarAnalytics.maxSessions) sessions at once")
            }
            let holes = try await analytics.holes(symbol, sessions: sessions)
            return Table(
                columns: DataHole.columns, times: ["session", "first", "last"],
                rows: holes.map {
                    [
                        .time($0.session), .time($0.first), .time($0.last), .number(Double($0.minutes)),
                        .boolean($0.wholeSession),
                    ]
                })
        }
    }

    private func floorDivision(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
}

extension DataHole {
    fileprivate static let columns = ["session", "first", "last", "minutes", "whole_session"]
}

/// Rows of formatted cells, printed as CSV or as one JSON document.
private struct Table {
    enum Cell {
        case time(Int64)
        case number(Double)
        case boolean(Bool)
    }

    var columns: [String]
    /// The columns holding times (JSON strings).
    var times: Set<String>
    var rows: [[Cell]]

    static func points(_ points: [AnalyticsPoint]) -> Table {
        Table(columns: ["time", "value"], times: ["time"], rows: points.map { [.time($0.time), .number($0.value)] })
    }

    func render(_ format: IndicatorsCommand.OutputFormat, symbol: String, metric: String, dates: Bool) -> String {
        func text(_ cell: Cell) -> String {
            switch cell {
            case .time(let micros):
                let iso = TimestampParser.iso8601(micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000)
                return dates ? String(iso.prefix(10)) : iso
            case .number(let value): return Number.text(value)
            case .boolean(let value): return String(value)
            }
        }
        let lines = rows.map { $0.map(text) }
        switch format {
        case .csv:
            return ([columns.joined(separator: ",")] + lines.map { $0.joined(separator: ",") })
                .joined(separator: "\n")
        case .json:
            let objects = lines.map { JSONLine.object(Array(zip(columns, $0)), strings: times) }
            return "{\"symbol\": \"\(JSONLine.escape(symbol))\", \"metric\": \"\(metric)\", \"rows\": ["
                + objects.joined(separator: ",\n") + "]}"
        }
    }
}
