import PulseAnalytics
import PulseProtocol
import PulseRPC

/// Where the services get stored bars when a request names a symbol instead of giving bars inline.
///
/// ``PostgresBarSource`` implements it; until a database is configured the services answer UNAVAILABLE
/// `no database configured`. Throw `GRPCStatus` for answers the caller should see (NOT_FOUND for an unknown
/// symbol, UNAVAILABLE when the database cannot be reached); any other error reaches the client as UNKNOWN
/// with an id, its text only in the log.
public protocol BarSource: Sendable {
    /// The bars of `symbol` at `timeframe` (unit and multiple always set) in `[start, end)`, times in
    /// milliseconds since the epoch (nil: unbounded), oldest first; with `limit`, only the last `limit` of them
    /// (`fromEnd`) or the first. `context` is the call's: its loop runs the query and its deadline bounds it.
    func bars(
        symbol: String, timeframe: PulseV1.Timeframe, start: Int64?, end: Int64?, limit: Int?, fromEnd: Bool,
        context: ServerContext
    ) async throws -> BarSeries

    /// The same bars and, before them, up to `history` bars of the same series just before the first of them
    /// (nil: every one), empty when there are none — an indicator's warm-up. The default reads twice; a source
    /// that can reads both at once.
    func bars(
        symbol: String, timeframe: PulseV1.Timeframe, start: Int64?, end: Int64?, limit: Int?, fromEnd: Bool,
        history: Int?, context: ServerContext
    ) async throws -> (history: BarSeries, bars: BarSeries)
}

extension BarSource {
    public func bars(
        symbol: String, timeframe: PulseV1.Timeframe, start: Int64?, end: Int64?, limit: Int?, fromEnd: Bool,
        history: Int?, context: ServerContext
    ) async throws -> (history: BarSeries, bars: BarSeries) {
        let bars = try await self.bars(
            symbol: symbol, timeframe: timeframe, start: start, end: end, limit: limit, fromEnd: fromEnd,
            context: context)
        guard history != 0, let first = WireBars.timesMs(bars).first else { return (bars.prefix(0), bars) }
        let earlier = try await self.bars(
            symbol: symbol, timeframe: timeframe, start: nil, end: first, limit: history, fromEnd: true,
            context: context)
        return (earlier, bars)
    }
}

extension PulseV1.Timeframe {
    /// The timeframe with proto3's defaults applied: an unset unit is a day, multiple 0 is 1.
    var normalized: PulseV1.Timeframe {
        PulseV1.Timeframe(max(multiple, 1), unit == .unspecified ? .day : unit)
    }
}

/// Stored bars through an optional source: UNAVAILABLE without one.
struct StoredBars: Sendable {
    let source: (any BarSource)?

    func bars(
        symbol: String, timeframe: PulseV1.Timeframe?, start: Int64, end: Int64, limit: UInt32, fromEnd: Bool = true,
        context: ServerContext
    ) async throws -> BarSeries {
        try await bars(
            symbol: symbol, timeframe: timeframe, start: start, end: end, limit: limit, fromEnd: fromEnd, history: 0,
            context: context
        ).bars
    }

    /// The bars and up to `history` bars just before them (nil: all of them; 0: none), for an indicator's
    /// warm-up; nil when there are none.
    func bars(
        symbol: String, timeframe: PulseV1.Timeframe?, start: Int64, end: Int64, limit: UInt32, fromEnd: Bool,
        history: Int?, context: ServerContext
    ) async throws -> (history: BarSeries?, bars: BarSeries) {
        guard !symbol.isEmpty else {
            throw GRPCStatus(.invalidArgument, "give the bars inline or a symbol; the symbol is empty")
        }
        guard let source else { throw GRPCStatus(.unavailable, "no database configured") }
        if start != 0, end != 0, end <= start {
            throw GRPCStatus(.invalidArgument, "end_time_ms \(end) is not after start_time_ms \(start)")
        }
        let (start, end, limit) = (start == 0 ? nil : start, end == 0 ? nil : end, limit == 0 ? nil : Int(limit))
        let read = try await source.bars(
            symbol: symbol, timeframe: (timeframe ?? .oneDay).normalized, start: start, end: end, limit: limit,
            fromEnd: fromEnd, history: history, context: context)
        guard !read.bars.isEmpty else { throw GRPCStatus(.notFound, "no bars for \(symbol) in the range") }
        return (read.history.isEmpty ? nil : read.history, read.bars)
    }
}
