/// Where a bar falls on a timeframe's grid: its bucket number, and each bucket's start, end and label.
///
/// - Minutes and hours that divide an hour are aligned to the clock; as US/Eastern offsets are whole hours this
///   is the same grid in UTC, so daylight-saving changes need no special case.
/// - Longer hour buckets (2h, 4h, …) are aligned to Eastern wall-clock midnight: `4h` buckets start at
///   00:00, 04:00, 08:00 … local time, so a bucket spanning a daylight-saving change is 3 or 5 hours long.
/// - Days are Eastern trading sessions (calendar days in America/New_York), weeks run Monday to Sunday and
///   months are calendar months, both of sessions.
///
/// Times given as *dates* (daily data stamped at midnight UTC, `dateOnly`) are taken as the session of that
/// date rather than as instants (midnight UTC is the previous evening in New York).
public struct TimeBucket: Sendable {
    public let timeframe: Timeframe
    public let dateOnly: Bool

    public init(timeframe: Timeframe, dateOnly: Bool = false) {
        self.timeframe = timeframe
        self.dateOnly = dateOnly
    }

    /// The bucket number of a bar time; bucket numbers increase with time.
    @inline(__always)
    public func key(_ t: Int64) -> Int64 {
        switch timeframe.unit {
        case .minute, .hour:
            let size = timeframe.fixedSeconds!
            return size <= 3600
                ? EasternTime.floorDiv(t, size) : EasternTime.floorDiv(EasternTime.wallClock(at: t), size)
        case .day: return session(t)
        case .week: return EasternTime.floorDiv(session(t) &+ 3, 7)
        case .month:
            let date = TimestampParser.civilFromDays(session(t))
            return Int64(date.year) * 12 + Int64(date.month - 1)
        }
    }

    /// The Eastern session day (days since 1970-01-01) of a bar time.
    @inline(__always)
    func session(_ t: Int64) -> Int64 {
        dateOnly ? EasternTime.floorDiv(t, 86_400) : EasternTime.sessionDay(at: t)
    }

    /// The first session day of a day, week or month bucket.
    func firstDay(_ key: Int64) -> Int64 {
        switch timeframe.unit {
        case .week: return key &* 7 &- 3
        case .month:
            let year = Int(EasternTime.floorDiv(key, 12))
            return TimestampParser.daysFromCivil(year: year, month: Int(EasternTime.floorMod(key, 12)) + 1, day: 1)
        default: return key
        }
    }

    /// The bucket's timestamp: its start instant (UTC) for minutes and hours; for days, weeks and months the
    /// midnight UTC of its first date, the convention of daily data.
    public func start(_ key: Int64) -> Int64 {
        switch timeframe.unit {
        case .minute, .hour:
            let size = timeframe.fixedSeconds!
            return size <= 3600 ? key &* size : EasternTime.instant(ofWallClock: key &* size)
        case .day, .week, .month: return firstDay(key) &* 86_400
        }
    }

    /// The instant the bucket closes (the start of the next one), in the same time convention as the input.
    public func end(_ key: Int64) -> Int64 {
        switch timeframe.unit {
        case .minute, .hour: return start(key &+ 1)
        case .day, .week, .month:
            let nextDay = firstDay(key &+ 1)
            return dateOnly ? nextDay &* 86_400 : EasternTime.instant(ofWallClock: nextDay &* 86_400)
        }
    }

    /// ISO 8601 label: `2024-03-11T13:30:00Z` for minutes and hours, the first date `2024-03-11` otherwise.
    func label(_ key: Int64) -> String {
        let iso = TimestampParser.iso8601(start(key))
        switch timeframe.unit {
        case .minute, .hour: return iso
        case .day, .week, .month: return String(iso.prefix(10))
        }
    }
}
