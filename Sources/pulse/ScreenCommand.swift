import ArgumentParser
import Foundation
import PulseClient
import PulseProtocol

/// `pulse screen`: Screen on a running server — symbols ranked by return, volume spike, realised volatility or
/// new highs over their latest stored bars.
///
/// ```
/// pulse screen --metric return --window 20 --limit 10
/// pulse screen --metric volume-spike --min-value 3 --format csv
/// ```
struct ScreenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "screen",
        abstract: "Rank stored symbols by return, volume spike, volatility or new highs (Screen).",
        discussion: """
            Over each symbol's last WINDOW + 1 stored bars at --timeframe: return = last close / first close - 1; \
            volume-spike = last volume / mean of the WINDOW volumes before it; volatility = sample stdev of the \
            WINDOW log returns, annualised; new-high = last high / highest high of the WINDOW bars before it - 1 \
            (> 0: a new high). Highest first unless --ascending.
            """)

    enum Metric: String, ExpressibleByArgument, CaseIterable {
        case `return`, volumeSpike = "volume-spike", volatility, newHigh = "new-high"

        var wire: PulseV1.ScreenMetric {
            switch self {
            case .return: return .return
            case .volumeSpike: return .volumeSpike
            case .volatility: return .volatility
            case .newHigh: return .newHigh
            }
        }
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json
    }

    @Option(help: "return, volume-spike, volatility or new-high (default return).")
    var metric: Metric = .return
    @Option(help: "Bars in the window (default 20).")
    var window: UInt32 = 20
    @Option(help: "A stored timeframe: 1d, 1m, 5m, … (default 1d).")
    var timeframe: String = "1d"
    @Option(help: "Rows at most (default 20).")
    var limit: UInt32 = 20
    @Flag(help: "Lowest values first.")
    var ascending = false
    @Option(help: "Only these symbols, comma-separated (default: every stored symbol).")
    var symbols: String?
    @Option(help: "Screen the bars before this time (YYYY-MM-DD, RFC 3339 or Unix seconds).")
    var end: String?
    @Option(help: "Keep rows whose value is at least this.")
    var minValue: Double?
    @Option(help: "Keep rows whose value is at most this.")
    var maxValue: Double?
    @Option(help: "Keep rows whose last close is at least this.")
    var minPrice: Double = 0
    @Option(help: "Keep rows whose average volume is at least this.")
    var minVolume: Double = 0
    @Option(help: "table, csv or json (default table).")
    var format: Format = .table
    @OptionGroup var server: ServerAddressOption

    func run() async throws {
        var request = PulseV1.ScreenRequest()
        request.metric = metric.wire
        request.window = window
        request.timeframe = try LoadCommand.wireTimeframe(timeframe)
        request.limit = limit
        request.ascending = ascending
        request.symbols = symbols.map { $0.split(separator: ",").map { String($0) } } ?? []
        request.endTimeMs = try end.map { try LoadCommand.milliseconds($0, flag: "--end") } ?? 0
        request.minValue = minValue
        request.maxValue = maxValue
        request.minPrice = minPrice
        request.minAverageVolume = minVolume
        let response = try await server.withClient { try await $0.loading.screen(request) }
        print(render(response), terminator: "")
    }

    func render(_ response: PulseV1.ScreenResponse) -> String {
        let header = [
            "symbol", "value", "time", "close", "volume", "average_volume", "return", "volatility",
            "prior_high",
        ]
        let rows = response.rows.map { row in
            [
                row.symbol, "\(row.value)", LoadCommand.iso(row.timeMs), "\(row.close)", "\(row.volume)",
                "\(row.averageVolume)", "\(row.windowReturn)", "\(row.volatility)", "\(row.priorHigh)",
            ]
        }
        switch format {
        case .csv:
            return ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
        case .json:
            let objects = rows.map { row in
                "{"
                    + zip(header, row).map { name, value in
                        let quoted = name == "symbol" || name == "time" ? "\"\(value)\"" : Self.jsonNumber(value)
                        return "\"\(name)\":\(quoted)"
                    }.joined(separator: ",") + "}"
            }
            return "[" + objects.joined(separator: ",") + "]\n"
        case .table:
            let all = [header] + rows
            let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
            return all.map { row in
                row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ")
            }.joined(separator: "\n") + "\n"
        }
    }

    static func jsonNumber(_ text: String) -> String { Double(text).map { $0.isFinite ? text : "null" } ?? "null" }
}
