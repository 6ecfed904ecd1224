import ArgumentParser
import PulseAnalytics
import PulseIO
import PulseMarketData
import PulseStore

#if canImport(Glibc)
    import Glibc
#endif

/// `pulse fetch`: one Alpha Vantage call through the production client, printed as CSV.
///
/// ```
/// ALPHA_VANTAGE_API_KEY=… pulse fetch --function TIME_SERIES_INTRADAY --symbol IBM --interval 1min --month 2024-03
/// ```
struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Fetch quotes or bars from Alpha Vantage and print them as CSV (times in UTC).",
        discussion: """
            Reads ALPHA_VANTAGE_API_KEY, ALPHA_VANTAGE_BASE_URL, ALPHA_VANTAGE_ENTITLEMENT, \
            ALPHA_VANTAGE_DAILY_LIMIT and ALPHA_VANTAGE_PER_MINUTE. With --redis-url (or REDIS_URL) the request \
            draws on the key's budget shared through Redis. Bars print oldest first: \
            timestamp (RFC 3339 UTC),label (Alpha Vantage's own time text),open,high,low,close,volume. \
            Exit status 1 with `pulse: Alpha Vantage <kind>: <message>` when Alpha Vantage refuses.
            """)

    enum Function: String, ExpressibleByArgument, CaseIterable {
        case globalQuote = "GLOBAL_QUOTE"
        case intraday = "TIME_SERIES_INTRADAY"
        case daily = "TIME_SERIES_DAILY"
        case symbolSearch = "SYMBOL_SEARCH"
    }

    @Option(name: .long, help: "GLOBAL_QUOTE, TIME_SERIES_INTRADAY, TIME_SERIES_DAILY or SYMBOL_SEARCH.")
    var function: Function

    @Option(name: .long, help: "The symbol (or the keywords of SYMBOL_SEARCH).")
    var symbol: String

    @Option(name: .long, help: "Intraday interval: 1min, 5min, 15min, 30min, 60min.")
    var interval: String = "5min"

    @Option(name: .long, help: "Intraday history month, YYYY-MM.")
    var month: String?

    @Option(name: .long, help: "compact (latest 100) or full.")
    var outputsize: String = "compact"

    @Option(name: .long, help: "Intraday: include 04:00-09:30 and 16:00-20:00 (true or false).")
    var extendedHours: Bool?

    @Option(name: .long, help: "Intraday: split/dividend-adjusted prices (true or false).")
    var adjusted: Bool?

    @Option(name: .long, help: "Ask Alpha Vantage for json or csv.")
    var datatype: String = "json"

    @Option(name: .long, help: "Share the key's request budget through this Redis (redis://host:port).")
    var redisURL: String?

    func run() async throws {
        var environment: [String: String] = [:]
        for name in [
            "ALPHA_VANTAGE_API_KEY", "ALPHA_VANTAGE_BASE_URL", "ALPHA_VANTAGE_ENTITLEMENT", "ALPHA_VANTAGE_DAILY_LIMIT",
            "ALPHA_VANTAGE_PER_MINUTE", "REDIS_URL",
        ] {
            if let raw = getenv(name) { environment[name] = String(cString: raw) }
        }
        let configuration = try AlphaVantageConfiguration(environment: environment)
        guard let format = AlphaVantageFormat(rawValue: datatype) else {
            throw UsageError("--datatype must be json or csv")
        }
        guard let size = OutputSize(rawValue: outputsize) else { throw UsageError("--outputsize: compact or full") }
        guard let step = IntradayInterval(rawValue: interval) else {
            throw UsageError("--interval: one of 1min, 5min, 15min, 30min, 60min")
        }
        let loop = try EventLoop(index: 0)
        defer {
            loop.stop()
            loop.join()
        }
        let http = try HTTPClient(loop: loop)
        var redis: RedisClient?
        if let url = redisURL ?? environment["REDIS_URL"] {
            let client = RedisClient(configuration: try RedisConfiguration(url: url), loop: loop)
            guard await client.waitUntilConnected(timeout: .seconds(5)) else {
                throw UsageError("cannot connect to Redis at --redis-url")
            }
            redis = client
        }
        let pacer: any RequestPacer =
            redis.map { RedisRequestPacer(redis: $0, configuration: configuration) }
            ?? LocalRequestPacer(configuration: configuration)
        let client = AlphaVantageClient(configuration: configuration, http: http, pacer: pacer)
        let output: String
        switch function {
        case .globalQuote:
            let q = try await client.globalQuote(symbol: symbol, format: format)
            output =
                "symbol,open,high,low,price,volume,latest_trading_day,previous_close,change,change_percent\n"
                + "\(q.symbol),\(q.open),\(q.high),\(q.low),\(q.price),\(q.volume),\(q.latestTradingDay),"
                + "\(q.previousClose),\(q.change),\(q.changePercent)\n"
        case .symbolSearch:
            let matches = try await client.symbolSearch(keywords: symbol)
            output =
                "symbol,name,type,region,currency,match_score\n"
                + matches.map {
                    "\($0.symbol),\"\($0.name)\",\($0.type),\($0.region),\($0.currency),\($0.matchScore)\n"
                }
                .joined()
        case .intraday, .daily:
            let result =
                function == .daily
                ? try await client.daily(symbol: symbol, outputSize: size, format: format)
                : try await client.intraday(
                    symbol: symbol, interval: step, outputSize: size, month: month, extendedHours: extendedHours,
                    adjusted: adjusted, format: format)
            for warning in result.warnings { StandardError.write("pulse: warning: \(warning)") }
            let bars = result.bars
            var text = "timestamp,label,open,high,low,close,volume\n"
            for i in 0..<bars.count {
                text += "\(TimestampParser.iso8601(bars.timestamps![i])),\(bars.labels[i]),\(bars.open[i]),"
                text += "\(bars.high[i]),\(bars.low[i]),\(bars.close[i]),\(bars.volume?[i] ?? 0)\n"
            }
            output = text
        }
        await redis?.close()
        await http.close()
        writeStandardOutput(Array(output.utf8))
    }
}
