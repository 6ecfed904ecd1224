/// A symbol's intraday history fetched month by month (`TIME_SERIES_INTRADAY&month=YYYY-MM&outputsize=full`), or
/// its daily series in one request (`TIME_SERIES_DAILY&outputsize=full`, the unit `full`), resumable: progress
/// lives in a ``BackfillStore``, so a job stopped by a restart or a spent quota continues with the first month
/// not yet committed.
///
/// What stops a job is what Alpha Vantage said: a spent daily quota (`Information`) pauses it until midnight
/// US/Eastern; a rate limit (`Note`) the client could not wait out, or a transport failure, pauses it briefly;
/// a bad call (`Error Message`) and a premium endpoint are thrown, since retrying cannot help.
///
/// On a free key (25 requests a day) one symbol's 1-minute history since 2000-01 is ~300 months, so about
/// twelve days: ``run(client:store:onCommitted:)`` returns ``Outcome/paused(retryAfter:completed:remaining:)``
/// when the day's budget is spent and is simply run again after `retryAfter`.
///
/// ```swift
/// let job = BackfillJob(symbol: "IBM", interval: .oneMinute, from: "2020-01", through: "2024-12")
/// switch try await job.run(client: alphaVantage, store: ledger) {
/// case .completed: break
/// case .paused(let wait, _, _): schedule(job, after: wait)
/// }
/// ```
public struct BackfillJob: Sendable, Hashable {
    /// `symbol/interval/from/through`: the same request is the same job, so its progress is found again.
    public struct ID: Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public var description: String { rawValue }
    }

    public enum Outcome: Sendable, Equatable {
        /// Every month is committed.
        case completed(months: Int)
        /// The key's quota is spent; run again after `retryAfter`.
        case paused(retryAfter: Duration, completed: Int, remaining: Int)
    }

    /// Which Alpha Vantage series a job fetches.
    public enum Series: Sendable, Hashable {
        /// `TIME_SERIES_INTRADAY` month by month.
        case intraday(IntradayInterval)
        /// `TIME_SERIES_DAILY&outputsize=full`: the whole raw daily history in one request.
        case daily
    }

    /// The unit of a daily job.
    public static let fullUnit = "full"

    public var symbol: String
    public var series: Series
    /// First and last month, `YYYY-MM`, inclusive.
    public var from: String
    public var through: String
    public var extendedHours: Bool

    /// - Precondition: `from` and `through` are `YYYY-MM`, `from` ≤ `through`, from 2000-01 (Alpha Vantage's start).
    public init(symbol: String, interval: IntradayInterval, from: String, through: String, extendedHours: Bool = true)
        throws(AlphaVantageError)
    {
        guard let first = Self.monthIndex(from), let last = Self.monthIndex(through), first <= last,
            first >= 2000 * 12
        else {
            throw AlphaVantageError(.invalidCall, "a backfill needs months YYYY-MM from 2000-01, first ≤ last")
        }
        self.symbol = symbol
        self.series = .intraday(interval)
        self.from = from
        self.through = through
        self.extendedHours = extendedHours
    }

    /// The whole daily history of `symbol` (raw prices, as `TIME_SERIES_DAILY` gives them).
    public static func daily(symbol: String) -> BackfillJob {
        BackfillJob(symbol: symbol, series: .daily, from: fullUnit, through: fullUnit, extendedHours: false)
    }

    private init(symbol: String, series: Series, from: String, through: String, extendedHours: Bool) {
        self.symbol = symbol
        self.series = series
        self.from = from
        self.through = through
        self.extendedHours = extendedHours
    }

    public var id: ID { ID(rawValue: "\(symbol)/\(seriesName)/\(from)/\(through)") }

    /// `1min` … `60min`, or `daily`.
    public var seriesName: String {
        switch series {
        case .intraday(let interval): return interval.rawValue
        case .daily: return "daily"
        }
    }

    /// The stored timeframe of the job's bars (`1m` … `1h`, `1d`).
    public var timeframe: String {
        switch series {
        case .intraday(let interval): return Self.timeframe(interval)
        case .daily: return "1d"
        }
    }

    /// Every unit of the job in order: months oldest first, or `full` for a daily job.
    public var months: [String] {
        if series == .daily { return [Self.fullUnit] }
        guard let first = Self.monthIndex(from), let last = Self.monthIndex(through) else { return [] }
        return (first...last).map { index in
            let month = index % 12 + 1
            return "\(index / 12)-\(month < 10 ? "0" : "")\(month)"
        }
    }

    /// Fetches and commits every month not yet in `store`, oldest first; `onCommitted` hears of each
    /// (to emit a "bars ingested" event). Errors other than a spent quota stop the job and are thrown; what was
    /// committed stays committed.
    public func run(
        client: AlphaVantageClient, store: any BackfillStore,
        onCommitted: @Sendable (BarsIngestedEvent) async -> Void = { _ in }
    ) async throws -> Outcome {
        try await store.begin(self)
        let done = try await store.completedMonths(of: id)
        let todo = months.filter { !done.contains($0) }
        for (position, month) in todo.enumerated() {
            let fetched: Result<AlphaVantageBars, AlphaVantageError>
            do {
                fetched = .success(try await fetch(month, client: client))
            } catch {
                fetched = .failure(error)
            }
            let bars: AlphaVantageBars
            switch fetched {
            case .success(let value):
                bars = value
            case .failure(let error) where error.code == .dailyQuotaExhausted || error.isRetryable:
                let wait = error.retryAfter ?? (error.code == .dailyQuotaExhausted ? .seconds(3600) : .seconds(60))
                try await store.finish(id, .paused(retryAfter: wait, reason: error.description))
                return .paused(
                    retryAfter: wait, completed: months.count - todo.count + position, remaining: todo.count - position)
            case .failure(let error):
                try? await store.finish(id, .failed(error.description))
                throw error
            }
            try await store.commit(bars, month: month, of: id)
            if let times = bars.bars.timestamps, let first = times.first, let last = times.last {
                await onCommitted(
                    BarsIngestedEvent(symbol: symbol, timeframe: timeframe, from: first, to: last, count: times.count))
            }
        }
        try await store.finish(id, .completed)
        return .completed(months: months.count)
    }

    private func fetch(_ month: String, client: AlphaVantageClient) async throws(AlphaVantageError)
        -> AlphaVantageBars
    {
        switch series {
        case .intraday(let interval):
            return try await client.intraday(
                symbol: symbol, interval: interval, outputSize: .full, month: month, extendedHours: extendedHours)
        case .daily:
            return try await client.daily(symbol: symbol, outputSize: .full)
        }
    }

    static func timeframe(_ interval: IntradayInterval) -> String {
        switch interval {
        case .oneMinute: return "1m"
        case .fiveMinutes: return "5m"
        case .fifteenMinutes: return "15m"
        case .thirtyMinutes: return "30m"
        case .sixtyMinutes: return "1h"
        }
    }

    /// `YYYY-MM` → year × 12 + month − 1.
    static func monthIndex(_ text: String) -> Int? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]),
            let month = Int(parts[1]), (1...12).contains(month)
        else { return nil }
        return year * 12 + month - 1
    }
}
