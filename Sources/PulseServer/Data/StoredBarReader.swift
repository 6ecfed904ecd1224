import Foundation
import PulseAnalytics
import PulseProtocol
import PulseRPC
import PulseStore

/// Reads a symbol's bars at any timeframe from PostgreSQL: from the stored timeframe itself when there is one,
/// else grouped in SQL from the stored daily bars (days and longer, when stored) or 1-minute bars, adjusted for
/// corporate actions as asked. One pooled session, three round trips at most (the symbol and what is stored, the
/// actions when an adjustment needs them, the bars).
struct StoredBarReader: Sendable {
    let data: ServerDataLayer

    /// What to read. Times are microseconds since the Unix epoch; bars are selected by their own open time.
    struct Request: Sendable {
        var symbol: String
        var timeframe: Timeframe
        var start: Int64?
        var end: Int64?
        var limit: Int?
        /// With `limit`: the last `limit` bars of the range rather than the first.
        var fromEnd = false
        var adjustment: PulseV1.Adjustment = .raw
    }

    /// The timeframe of a wire request as PulseAnalytics' (minutes dividing an hour, hours dividing a day, one day,
    /// week or month).
    /// - Throws: INVALID_ARGUMENT saying what is wrong.
    static func timeframe(_ wire: PulseV1.Timeframe?) throws(GRPCStatus) -> Timeframe {
        let wire = (wire ?? .oneDay).normalized
        let unit: Timeframe.Unit
        switch wire.unit {
        case .minute: unit = .minute
        case .hour: unit = .hour
        case .day: unit = .day
        case .week: unit = .week
        case .month: unit = .month
        case .second: throw GRPCStatus(.invalidArgument, "timeframe: seconds are not stored; the finest is 1m")
        default: throw GRPCStatus(.invalidArgument, "timeframe: unknown unit \(wire.unit.rawValue)")
        }
        do {
            return try Timeframe(unit, Int(wire.multiple))
        } catch {
            throw GRPCStatus(.invalidArgument, "timeframe: \(error.message)")
        }
    }

    /// The bars, oldest first.
    /// - Throws: NOT_FOUND for an unknown symbol; FAILED_PRECONDITION when only daily bars are stored and an
    ///   intraday timeframe is asked for; UNAVAILABLE / DEADLINE_EXCEEDED from the database.
    func read(_ request: Request, context: ServerContext) async throws -> PulseStore.StoredBars {
        try await data.withDatabase(context) { connection, timeout in
            let store = BarStore(connection: connection)
            guard let plan = try await Self.plan(request, store: store, timeout: timeout) else { return .empty }
            return try await store.readGrouped([plan], timeout: timeout)[0]
        }
    }

    /// The bars of `request` and up to `history` bars of the same series just before the first of them (nil:
    /// all of them), in one session: two round trips when the range's start bounds the history (what is stored,
    /// then both reads pipelined), three when the range is counted from its end.
    func read(_ request: Request, history: Int?, context: ServerContext) async throws
        -> (history: PulseStore.StoredBars, bars: PulseStore.StoredBars)
    {
        try await data.withDatabase(context) { connection, timeout in
            let store = BarStore(connection: connection)
            guard let page = try await Self.plan(request, store: store, timeout: timeout) else {
                return (.empty, .empty)
            }
            func before(_ end: Int64) -> BarStore.GroupedRead {
                var earlier = page
                (earlier.start, earlier.end, earlier.limit, earlier.fromEnd) = (nil, end, history, true)
                return earlier
            }
            let countedFromEnd = page.fromEnd && page.limit != nil
            // A range from the first stored bar has no history.
            if history == 0 || (page.start == nil && !countedFromEnd) {
                return (.empty, try await store.readGrouped([page], timeout: timeout)[0])
            }
            if !countedFromEnd, let start = page.start {
                // Nothing lies between the range's start and its first bar: the history ends at the start.
                let both = try await store.readGrouped([page, before(start)], timeout: timeout)
                return (both[1], both[0])
            }
            let bars = try await store.readGrouped([page], timeout: timeout)[0]
            guard let first = bars.timestamps.first else { return (.empty, bars) }
            return (try await store.readGrouped([before(first)], timeout: timeout)[0], bars)
        }
    }

    /// What stored series answers `request` and how: nil when the symbol has no bars a timeframe can come from.
    static func plan(_ request: Request, store: BarStore, timeout: Duration) async throws -> BarStore.GroupedRead? {
        let name = request.timeframe.description
        let meta = try await store.connection.query(
            """
            SELECT s.id, s.price_adjustment,
                EXISTS (SELECT 1 FROM bars WHERE symbol_id = s.id AND timeframe = $2),
                EXISTS (SELECT 1 FROM bars WHERE symbol_id = s.id AND timeframe = '1d'),
                EXISTS (SELECT 1 FROM bars WHERE symbol_id = s.id AND timeframe = '1m'),
                EXISTS (SELECT 1 FROM corporate_actions WHERE symbol_id = s.id),
                NOT EXISTS (SELECT 1 FROM bar_rollup_invalidations WHERE symbol_id = s.id)
            FROM symbols s WHERE s.symbol = $1
            """, [.text(request.symbol), .text(name)], timeout: timeout)
        guard meta.rowCount == 1, let id = try meta.int(0, 0) else {
            throw GRPCStatus(.notFound, "unknown symbol \(request.symbol)")
        }
        let symbolID = Int32(id)
        let stored = meta.string(0, 1) ?? "raw"
        let (exact, daily, minutes, hasActions) = (
            try meta.bool(0, 2) == true, try meta.bool(0, 3) == true, try meta.bool(0, 4) == true,
            try meta.bool(0, 5) == true
        )
        let source: String
        let grouping: BarGrouping?
        let isSessionOrLonger = [.day, .week, .month].contains(request.timeframe.unit)
        if exact {
            (source, grouping) = (name, nil)
        } else if isSessionOrLonger && daily {
            (source, grouping) = ("1d", Self.grouping(request.timeframe))
        } else if minutes {
            (source, grouping) = ("1m", Self.grouping(request.timeframe))
        } else if daily {
            throw GRPCStatus(
                .failedPrecondition,
                "\(request.symbol) has only daily bars stored; \(name) needs 1-minute bars (load them first)")
        } else {
            return nil
        }
        let sourceIsDaily = source == "1d"
        var steps = AdjustmentSteps(exDates: [], priceFactors: [], volumeFactors: [])
        if hasActions, let wanted = AdjustmentPlan(request.adjustment, stored: stored), !wanted.isIdentity {
            let actions = try await store.corporateActions(
                symbolID: symbolID, sourceTimeframe: source, sourceIsDaily: sourceIsDaily, timeout: timeout)
            steps = wanted.steps(actions)
        }
        var read = BarStore.GroupedRead(
            symbolID: symbolID, sourceTimeframe: source, sourceIsDaily: sourceIsDaily, grouping: grouping,
            start: request.start, end: request.end, limit: request.limit, fromEnd: request.fromEnd,
            adjustment: steps)
        // Minutes with current rollups (no hour noted since the last refresh): the coarsest rollup the timeframe
        // is made of, as stored or grouped further. Adjusted reads group the minutes (factors apply per minute).
        if source == "1m", steps.isEmpty, try meta.bool(0, 6) == true, let rollup = Self.rollup(request.timeframe) {
            (read.sourceTimeframe, read.grouping, read.sourceIsDaily) = rollup
            read.fromRollups = true
        }
        return read
    }

    /// The rollup a timeframe is built from and how (nil grouping: the rollup itself); nil for minute timeframes
    /// that are not whole 5-minute multiples. 1d rollups are stamped like daily bars (midnight UTC of their date).
    static func rollup(_ timeframe: Timeframe) -> (String, BarGrouping?, Bool)? {
        switch timeframe.unit {
        case .minute where timeframe.count == 5: return ("5m", nil, false)
        case .minute where timeframe.count % 5 == 0: return ("5m", grouping(timeframe), false)
        case .minute: return nil
        case .hour where timeframe.count == 1: return ("1h", nil, false)
        case .hour: return ("1h", grouping(timeframe), false)
        case .day: return ("1d", nil, true)
        case .week, .month: return ("1d", grouping(timeframe), true)
        }
    }

    static func grouping(_ timeframe: Timeframe) -> BarGrouping {
        switch timeframe.unit {
        case .minute: return BarGrouping(.minute, timeframe.count)
        case .hour: return BarGrouping(.hour, timeframe.count)
        case .day: return BarGrouping(.day)
        case .week: return BarGrouping(.week)
        case .month: return BarGrouping(.month)
        }
    }
}

extension PulseStore.StoredBars {
    static let empty = PulseStore.StoredBars(timestamps: [], open: [], high: [], low: [], close: [], volume: [])
}

/// Which adjustments to add to (or take out of) the stored prices: exponents of the split and dividend factors.
struct AdjustmentPlan: Equatable {
    var splitExponent: Int
    var dividendExponent: Int

    /// - Parameter stored: what the stored prices carry (`raw`, `split`, `all`).
    init?(_ wanted: PulseV1.Adjustment, stored: String) {
        let (wantSplit, wantDividend): (Int, Int)
        switch wanted {
        case .unspecified, .raw: (wantSplit, wantDividend) = (0, 0)
        case .split: (wantSplit, wantDividend) = (1, 0)
        case .dividend: (wantSplit, wantDividend) = (0, 1)
        case .all: (wantSplit, wantDividend) = (1, 1)
        default: return nil
        }
        let haveSplit = stored == "split" || stored == "all" ? 1 : 0
        let haveDividend = stored == "all" ? 1 : 0
        splitExponent = wantSplit - haveSplit
        dividendExponent = wantDividend - haveDividend
    }

    var isIdentity: Bool { splitExponent == 0 && dividendExponent == 0 }

    /// The step function of factors by session date: the factor of a session before `exDates[i]` is the product
    /// of every action on or after `exDates[i]`.
    func steps(_ actions: [CorporateAction]) -> AdjustmentSteps {
        var dates: [String] = []
        var price: [Double] = []
        var volume: [Double] = []
        for action in actions {
            var p = 1.0
            var v = 1.0
            switch action.kind {
            case .split:
                p = pow(1 / action.value, Double(splitExponent))
                v = pow(action.value, Double(splitExponent))
            case .dividend:
                if let close = action.previousClose, close > action.value {
                    p = pow(1 - action.value / close, Double(dividendExponent))
                }
            }
            if dates.last == action.exDate {
                price[price.count - 1] *= p
                volume[volume.count - 1] *= v
            } else {
                dates.append(action.exDate)
                price.append(p)
                volume.append(v)
            }
        }
        // Cumulative from the latest action back: a session is adjusted for every action after it.
        for i in stride(from: dates.count - 2, through: 0, by: -1) {
            price[i] *= price[i + 1]
            volume[i] *= volume[i + 1]
        }
        return AdjustmentSteps(exDates: dates, priceFactors: price, volumeFactors: volume)
    }
}

/// ``BarSource`` over PostgreSQL for Indicators and Backtests: raw prices, the stored timeframe or a grouping of
/// finer bars (see ``StoredBarReader``).
public struct PostgresBarSource: BarSource {
    let reader: StoredBarReader

    public init(data: ServerDataLayer) { reader = StoredBarReader(data: data) }

    public func bars(
        symbol: String, timeframe: PulseV1.Timeframe, start: Int64?, end: Int64?, limit: Int?, fromEnd: Bool,
        context: ServerContext
    ) async throws -> BarSeries {
        Self.series(
            try await reader.read(try Self.request(symbol, timeframe, start, end, limit, fromEnd), context: context))
    }

    public func bars(
        symbol: String, timeframe: PulseV1.Timeframe, start: Int64?, end: Int64?, limit: Int?, fromEnd: Bool,
        history: Int?, context: ServerContext
    ) async throws -> (history: BarSeries, bars: BarSeries) {
        let read = try await reader.read(
            try Self.request(symbol, timeframe, start, end, limit, fromEnd), history: history, context: context)
        return (Self.series(read.history), Self.series(read.bars))
    }

    static func request(
        _ symbol: String, _ timeframe: PulseV1.Timeframe, _ start: Int64?, _ end: Int64?, _ limit: Int?,
        _ fromEnd: Bool
    ) throws(GRPCStatus) -> StoredBarReader.Request {
        StoredBarReader.Request(
            symbol: symbol, timeframe: try StoredBarReader.timeframe(timeframe), start: start.map { $0 * 1000 },
            end: end.map { $0 * 1000 }, limit: limit, fromEnd: fromEnd && limit != nil)
    }

    /// The stored bars as PulseAnalytics' series. Labels carry milliseconds only where a stamp has a fraction of
    /// a second (`WireBars.timesMs` reads them back); whole seconds, every bar in practice, need none, and a
    /// string per bar was a tenth of a large read's time.
    static func series(_ stored: PulseStore.StoredBars) -> BarSeries {
        let seconds = stored.timestamps.map { floorDiv($0, 1_000_000) }
        let whole = stored.timestamps.allSatisfy { $0 % 1_000_000 == 0 }
        return BarSeries(
            labels: whole
                ? Array(repeating: "", count: seconds.count) : stored.timestamps.map { String(floorDiv($0, 1000)) },
            timestamps: seconds, open: stored.open, high: stored.high, low: stored.low, close: stored.close,
            volume: stored.volume)
    }

}
