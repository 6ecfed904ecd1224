import PulseAnalytics

/// "Bars ingested": emitted for every batch the ingester commits, consumed by whatever recomputes derived data
/// (cached indicators, statistics). On AWS it travels as an SQS message body; locally it is handled in-process.
///
/// JSON: `{"type":"bars_ingested","version":1,"symbol":"IBM","timeframe":"1m","from":"2024-03-01T09:00:00Z",
/// "to":"2024-03-28T23:59:00Z","count":19200}` — `from`/`to` are the first and last bar times (UTC, inclusive).
/// Handlers must be idempotent: SQS delivers at least once.
public struct BarsIngestedEvent: Sendable, Equatable {
    public var symbol: String
    public var timeframe: String
    /// First and last bar open times, Unix seconds UTC.
    public var from: Int64
    public var to: Int64
    public var count: Int

    public init(symbol: String, timeframe: String, from: Int64, to: Int64, count: Int) {
        self.symbol = symbol
        self.timeframe = timeframe
        self.from = from
        self.to = to
        self.count = count
    }

    public var json: String {
        JSONValue.object([
            JSONMember(name: "type", value: .string("bars_ingested")),
            JSONMember(name: "version", value: .number(1)),
            JSONMember(name: "symbol", value: .string(symbol)),
            JSONMember(name: "timeframe", value: .string(timeframe)),
            JSONMember(name: "from", value: .string(TimestampParser.iso8601(from))),
            JSONMember(name: "to", value: .string(TimestampParser.iso8601(to))),
            JSONMember(name: "count", value: .number(Double(count))),
        ]).json
    }

    /// Reads an event body; nil when it is not a version-1 "bars ingested" event.
    public init?(json text: String) {
        guard let document = try? JSONValue.parse(Array(text.utf8)), document["type"]?.string == "bars_ingested",
            case .number(1)? = document["version"], let symbol = document["symbol"]?.string,
            let timeframe = document["timeframe"]?.string,
            let from = document["from"]?.string.flatMap({ TimestampParser.parse($0) }),
            let to = document["to"]?.string.flatMap({ TimestampParser.parse($0) }),
            case .number(let count)? = document["count"], count >= 0, count == count.rounded()
        else { return nil }
        self.init(symbol: symbol, timeframe: timeframe, from: from, to: to, count: Int(count))
    }
}
