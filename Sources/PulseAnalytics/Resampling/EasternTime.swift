/// US/Eastern (America/New_York) civil time without Foundation's time-zone database, for session boundaries on
/// hot paths. Daylight saving follows the US federal rules:
/// - since 2007: from the second Sunday of March, 02:00 EST, to the first Sunday of November, 02:00 EDT;
/// - 1987–2006: first Sunday of April to the last Sunday of October;
/// - 1967–1986: last Sunday of April to the last Sunday of October, except 1974 (from January 6) and 1975
///   (from February 23);
/// - before 1967 the same April–October rule is assumed (New York's local practice was close to it).
///
/// Arithmetic wraps rather than traps, so absurd times (near `Int64.min`/`max`) give meaningless results, never
/// a crash.
public enum EasternTime {
    /// The offset from UTC in seconds (−4 h in daylight time, −5 h otherwise) at an instant.
    public static func utcOffset(at utc: Int64) -> Int64 {
        // Decide the year in standard time; the transitions are far from New Year.
        let standard = utc &- 5 * 3600
        let days = floorDiv(standard, 86_400)
        let year = TimestampParser.civilFromDays(days).year
        let (start, end) = daylightSaving(year: year)
        // Spring forward at 02:00 EST = 07:00 UTC; fall back at 02:00 EDT = 06:00 UTC.
        let startUTC = start &* 86_400 &+ 7 * 3600
        let endUTC = end &* 86_400 &+ 6 * 3600
        return utc >= startUTC && utc < endUTC ? -4 * 3600 : -5 * 3600
    }

    /// Local wall-clock time, as seconds since 1970-01-01T00:00 local.
    @inline(__always)
    public static func wallClock(at utc: Int64) -> Int64 { utc &+ utcOffset(at: utc) }

    /// The Eastern calendar day (days since 1970-01-01) of an instant: its trading session.
    @inline(__always)
    public static func sessionDay(at utc: Int64) -> Int64 { floorDiv(wallClock(at: utc), 86_400) }

    /// The instant of a local wall-clock time. For a time that occurs twice (the repeated hour in November) the
    /// first (daylight) one; for one that does not exist (the skipped hour in March) the instant an hour later.
    public static func instant(ofWallClock wall: Int64) -> Int64 {
        let daylight = wall &+ 4 * 3600
        if utcOffset(at: daylight) == -4 * 3600 { return daylight }
        return wall &+ 5 * 3600
    }

    /// The first and last day (days since 1970-01-01) of daylight saving time in `year`: the days of the
    /// transitions (start inclusive at 02:00, end at 02:00).
    public static func daylightSaving(year: Int) -> (start: Int64, end: Int64) {
        if year >= 2007 {
            return (nthSunday(2, month: 3, year: year), nthSunday(1, month: 11, year: year))
        }
        if year >= 1987 {
            return (nthSunday(1, month: 4, year: year), lastSunday(month: 10, year: year))
        }
        if year == 1974 {
            return (TimestampParser.daysFromCivil(year: 1974, month: 1, day: 6), lastSunday(month: 10, year: 1974))
        }
        if year == 1975 {
            return (TimestampParser.daysFromCivil(year: 1975, month: 2, day: 23), lastSunday(month: 10, year: 1975))
        }
        return (lastSunday(month: 4, year: year), lastSunday(month: 10, year: year))
    }

    /// Day of the week of a day number: 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday).
    @inline(__always)
    static func weekday(_ day: Int64) -> Int64 { floorMod(day + 4, 7) }

    static func nthSunday(_ n: Int, month: Int, year: Int) -> Int64 {
        let first = TimestampParser.daysFromCivil(year: year, month: month, day: 1)
        return first + floorMod(7 - weekday(first), 7) + Int64(7 * (n - 1))
    }

    static func lastSunday(month: Int, year: Int) -> Int64 {
        let next = month == 12 ? (year + 1, 1) : (year, month + 1)
        let last = TimestampParser.daysFromCivil(year: next.0, month: next.1, day: 1) - 1
        return last - weekday(last)
    }

    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a &- b &+ 1) / b }

    @inline(__always)
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a &- floorDiv(a, b) &* b }
}
