/// How stored bars are grouped into longer ones when they are read, on the conventions of PulseAnalytics'
/// `Resampler` (and pandas `resample` over the same minutes):
///
/// - minutes and hours that divide an hour are aligned to the clock (UTC and US/Eastern agree, as Eastern offsets
///   are whole hours); longer hour buckets (2h, 4h, …) to Eastern wall-clock midnight;
/// - days are US/Eastern calendar days (a trading session with its extended hours), weeks start on Monday and
///   months are calendar months, of those sessions; each is stamped at midnight UTC of its first date, the
///   convention of daily data.
///
/// Daily source bars (stamped at midnight UTC) are read as the session of that date.
public struct BarGrouping: Sendable, Hashable {
    public enum Unit: Sendable, Hashable {
        case minute, hour, day, week, month
    }

    public var unit: Unit
    /// Minutes dividing 60 or hours dividing 24; 1 for days, weeks and months.
    public var count: Int

    public init(_ unit: Unit, _ count: Int = 1) {
        self.unit = unit
        self.count = count
    }

    /// Seconds of a minute or hour bucket; nil for sessions, weeks and months.
    public var fixedSeconds: Int? {
        switch unit {
        case .minute: return count * 60
        case .hour: return count * 3600
        case .day, .week, .month: return nil
        }
    }

    /// How far after a bucket's start its last source bar may lie, in microseconds (a month and a day at most):
    /// the margin the coarse `ts` filter of a read adds to the end of the range, so every bucket that starts in
    /// the range is read whole.
    var spanMicroseconds: Int64 {
        let day: Int64 = 86_400 * 1_000_000
        switch unit {
        case .minute, .hour: return Int64(fixedSeconds!) * 1_000_000
        case .day: return 2 * day
        case .week: return 8 * day
        case .month: return 33 * day
        }
    }

    /// The Eastern session date of a source row, as a SQL `date` expression over `ts`.
    static func sessionDate(sourceIsDaily: Bool) -> String {
        sourceIsDaily ? "(ts AT TIME ZONE 'UTC')::date" : "(ts AT TIME ZONE 'America/New_York')::date"
    }

    /// The bucket of a source row as a SQL `timestamptz` expression over `ts`: the bucket's start for minutes and
    /// hours, midnight UTC of its first date for days, weeks and months.
    func bucketExpression(sourceIsDaily: Bool) -> String {
        let date = Self.sessionDate(sourceIsDaily: sourceIsDaily)
        switch unit {
        case .minute, .hour:
            let seconds = fixedSeconds!
            if seconds <= 3600 {
                return "date_bin('\(seconds) seconds'::interval, ts, timestamptz '1970-01-01 00:00:00+00')"
            }
            return """
                (date_bin('\(seconds) seconds'::interval, ts AT TIME ZONE 'America/New_York', \
                timestamp '1970-01-01') AT TIME ZONE 'America/New_York')
                """
        case .day: return "((\(date))::timestamp AT TIME ZONE 'UTC')"
        case .week: return "(date_trunc('week', (\(date))::timestamp) AT TIME ZONE 'UTC')"
        case .month: return "(date_trunc('month', (\(date))::timestamp) AT TIME ZONE 'UTC')"
        }
    }
}

/// Price and volume multipliers by session date: bars of sessions before `exDates[i]` (and on or after
/// `exDates[i − 1]`) are multiplied by `priceFactors[i]` and `volumeFactors[i]`; later sessions are not changed.
/// Dates are `YYYY-MM-DD`, ascending.
public struct AdjustmentSteps: Sendable, Equatable {
    public var exDates: [String]
    public var priceFactors: [Double]
    public var volumeFactors: [Double]

    public init(exDates: [String], priceFactors: [Double], volumeFactors: [Double]) {
        self.exDates = exDates
        self.priceFactors = priceFactors
        self.volumeFactors = volumeFactors
    }

    public var isEmpty: Bool { exDates.isEmpty }
}

/// One stored split or dividend.
public struct CorporateAction: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case split, dividend
    }

    /// `YYYY-MM-DD`, the first session without it.
    public var exDate: String
    public var kind: Kind
    /// New shares per old share (split) or cash per share (dividend).
    public var value: Double
    /// The last stored close before the ex-date (dividends only; nil when none is stored).
    public var previousClose: Double?

    public init(exDate: String, kind: Kind, value: Double, previousClose: Double? = nil) {
        self.exDate = exDate
        self.kind = kind
        self.value = value
        self.previousClose = previousClose
    }
}
