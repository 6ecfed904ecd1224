import PulseAnalytics
import PulseStore

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

extension BarsIngestedEvent {
    /// The event for a committed write of `bars` (microsecond timestamps, as `BarStore` takes them) that changed
    /// `rows` rows; nil when it changed none (an idempotent re-import tells nobody anything).
    public static func written(symbol: String, timeframe: String, bars: StoredBars, rows: Int) -> BarsIngestedEvent? {
        guard rows > 0, let first = bars.timestamps.min(), let last = bars.timestamps.max() else { return nil }
        return BarsIngestedEvent(
            symbol: symbol, timeframe: timeframe, from: first.floorDivided(by: 1_000_000),
            to: last.floorDivided(by: 1_000_000), count: rows)
    }

    /// The event covering both `self` and `other` (same symbol and timeframe): the union of their ranges and the
    /// sum of their counts (an upper bound when they overlap). Consumers recompute from stored bars, never from the
    /// count, so a merged event does what the two would have.
    public func merged(with other: BarsIngestedEvent) -> BarsIngestedEvent {
        BarsIngestedEvent(
            symbol: symbol, timeframe: timeframe, from: min(from, other.from), to: max(to, other.to),
            count: count + other.count)
    }
}

/// What a "bars ingested" event makes stale. Must be idempotent: SQS delivers at least once.
public protocol BarsIngestedProcessor: Sendable {
    func process(_ event: BarsIngestedEvent) async throws
    /// Called once after a batch of events (the ones processed), for what depends on every symbol at once (a
    /// screen), so a batch of many symbols' events recomputes it once rather than per event. Best effort.
    func processed(_ batch: [BarsIngestedEvent]) async
}

extension BarsIngestedProcessor {
    public func processed(_ batch: [BarsIngestedEvent]) async {}
}

/// Where ingestion reports each batch it committed. `publish` only queues the event and returns at once:
/// ingestion never waits on SQS or on a consumer, and a lost event costs only a cold cache (cached results are
/// keyed by the symbol's data version, so a stale one is never served).
public protocol BarsIngestedSink: Sendable {
    func publish(_ event: BarsIngestedEvent)
}

/// One received message of "bars ingested" events (an SQS record), as the Lambda handler and `pulse worker` see it.
public struct BarsIngestedMessage: Sendable {
    public var id: String
    public var body: String
    public init(id: String, body: String) {
        self.id = id
        self.body = body
    }
}

extension BarsIngestedProcessor {
    /// Processes each message in turn; answers the ones that failed, with why, for redelivery. A body that is not
    /// a version-1 event fails too: retrying cannot fix it, but the dead-letter queue keeps it for a person rather
    /// than deleting data nobody read.
    public func process(_ messages: [BarsIngestedMessage]) async -> [(id: String, reason: String)] {
        var failed: [(id: String, reason: String)] = []
        var done: [BarsIngestedEvent] = []
        for message in messages {
            guard let event = BarsIngestedEvent(json: message.body) else {
                failed.append((message.id, "not a bars_ingested v1 event"))
                continue
            }
            do {
                try await process(event)
                done.append(event)
            } catch {
                failed.append((message.id, "\(event.symbol): \(error)"))
            }
        }
        if !done.isEmpty { await processed(done) }
        return failed
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
