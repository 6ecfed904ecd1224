import ArgumentParser
import PulseAnalytics
import PulseClient
import PulseProtocol

/// `pulse quote SYMBOL…`: the latest quotes from a running server, one row per symbol.
///
/// ```
/// pulse quote AAPL MSFT --server 127.0.0.1:50051
/// ```
struct QuoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quote",
        abstract: "The latest quote of each symbol, from a running server.",
        discussion: """
            One CSV row (or JSON object) per symbol: time (RFC 3339 UTC), price, bid, ask, the session's open, \
            high, low and volume, the previous close, change, change percent and the tick's sequence number. \
            Symbols the server does not know are named on standard error and make the exit status 1.
            """)

    @Argument(help: "One or more symbols.")
    var symbols: [String]

    @Option(name: .long, help: "Output format: csv or json.")
    var format: IndicatorsCommand.OutputFormat = .csv

    @OptionGroup var server: ServerOptions

    func run() async throws {
        guard !symbols.isEmpty else { throw UsageError("give at least one symbol") }
        let options = server.callOptions
        let symbols = self.symbols
        let reply = try await server.withClient { client in
            try await client.quotes.quotes(symbols, options: options)
        }
        let columns = [
            "symbol", "time", "price", "bid", "ask", "open", "high", "low", "volume", "previous_close", "change",
            "change_percent", "sequence",
        ]
        var lines: [String] = []
        for quote in reply.quotes {
            let values: [String] = [
                quote.symbol, TimestampParser.iso8601(quote.timeMs / 1000), Number.text(quote.price),
                Number.text(quote.bid), Number.text(quote.ask), Number.text(quote.open), Number.text(quote.high),
                Number.text(quote.low), Number.text(quote.volume), Number.text(quote.previousClose),
                Number.text(quote.change), Number.text(quote.changePercent), String(quote.sequence),
            ]
            switch format {
            case .csv: lines.append(values.joined(separator: ","))
            case .json:
                lines.append(JSONLine.object(zip(columns, values).map { ($0, $1) }, strings: ["symbol", "time"]))
            }
        }
        switch format {
        case .csv: print(([columns.joined(separator: ",")] + lines).joined(separator: "\n"))
        case .json: print("[" + lines.joined(separator: ",\n") + "]")
        }
        for symbol in reply.notFound { StandardError.write("pulse: no quote for \(symbol): unknown symbol") }
        if !reply.notFound.isEmpty { throw ExitCode(1) }
    }
}

/// Numbers as the CLI prints them: the shortest text that reads back to the same double; NaN as empty (CSV) or
/// null (JSON).
enum Number {
    static func text(_ value: Double) -> String {
        guard value.isFinite else { return "" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// One JSON object on a line, from already formatted values.
enum JSONLine {
    static func object(_ fields: [(String, String)], strings: Set<String>) -> String {
        "{"
            + fields.map { name, value in
                let rendered =
                    strings.contains(name) ? "\"\(escape(value))\"" : (value.isEmpty ? "null" : value)
                return "\"\(name)\": \(rendered)"
            }.joined(separator: ", ") + "}"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
