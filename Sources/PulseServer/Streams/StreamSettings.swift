import PulseProtocol
import PulseStore

/// How live streams behave (`--heartbeat-interval`, `--tick-retention`).
public struct StreamSettings: Sendable {
    /// A symbol with nothing sent for this long gets a heartbeat (well under load balancers' 60 s idle timeout).
    public var heartbeatInterval: Duration = .seconds(15)
    /// Symbols one Subscribe call may ask for.
    public var maxSymbols = 1_000
    /// Ticks read from the tick log per round trip when replaying.
    public var replayPage = 1_000
    /// How long the tick-log follower blocks in one `XREAD` (new symbols are picked up after it returns).
    public var followBlock: Duration = .milliseconds(250)

    public init() {}
}

extension PulseV1.Tick {
    /// A tick as the tick log returns it.
    init(_ entry: TickLog.Entry, symbol: String) {
        self.init(symbol: symbol, sequence: entry.sequence, timeMs: entry.timeMs, price: entry.price, size: entry.size)
        bid = entry.bid
        ask = entry.ask
        ingestTimeUs = entry.ingestTimeUs
    }
}
