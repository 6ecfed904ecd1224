/// The trading calendar of a US equity exchange (NYSE rules, which Nasdaq shares): which days are sessions,
/// when each opens and closes (regular and extended hours), holidays and half days.
///
/// Days are Eastern calendar days as day numbers (days since 1970-01-01); instants are Unix seconds (UTC).
/// The rules are exact from 2000-01-01 on: the regular holidays with their weekend observance, the market's
/// one-off closures (September 11–14 2001, the Reagan, Ford, Bush and Carter days of mourning, Hurricane Sandy)
/// and half days (13:00 closes on July 3, the day after Thanksgiving and Christmas Eve when they fall on a
/// weekday, except 2002-07-03; plus 2002-07-05 and 2003-12-26). Years ahead follow the rules; one-off closures cannot be known.
///
/// ```swift
/// let nyse = ExchangeCalendar.nyse
/// nyse.isOpen(at: now)                    // regular hours
/// nyse.nextOpen(after: now)               // the next regular open, as a Unix time
/// nyse.sessions(from: day, through: day + 30)
/// ```
public struct ExchangeCalendar: Sendable {
    /// One trading day and its hours, all as Unix seconds.
    public struct Session: Sendable, Equatable, CustomStringConvertible {
        /// The Eastern calendar day (days since 1970-01-01).
        public var day: Int64
        /// Extended hours open (04:00 ET).
        public var preMarketOpen: Int64
        /// Regular open (09:30 ET).
        public var open: Int64
        /// Regular close (16:00 ET, 13:00 on a half day).
        public var close: Int64
        /// Extended hours close (20:00 ET, 17:00 on a half day).
        public var afterHoursClose: Int64
        /// Whether the regular session ends early.
        public var isHalfDay: Bool

        public var description: String {
            let (y, m, d) = TimestampParser.civilFromDays(day)
            return "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)\(isHalfDay ? " (half day)" : "")"
        }
    }

    /// The first day the rules are exact for.
    public static let firstDay = TimestampParser.daysFromCivil(year: 2000, month: 1, day: 1)

    /// NYSE (and Nasdaq) regular and extended hours.
    public static let nyse = ExchangeCalendar()

    private static let oneOffClosures: Set<Int64> = Set(
        [
            (2001, 9, 11), (2001, 9, 12), (2001, 9, 13), (2001, 9, 14),  // September 11
            (2004, 6, 11),  // President Reagan's funeral
            (2007, 1, 2),  // President Ford's day of mourning
            (2012, 10, 29), (2012, 10, 30),  // Hurricane Sandy
            (2018, 12, 5),  // President G. H. W. Bush's day of mourning
            (2025, 1, 9),  // President Carter's day of mourning
        ].map { TimestampParser.daysFromCivil(year: $0.0, month: $0.1, day: $0.2) })

    private static let oneOffHalfDays: Set<Int64> = Set(
        [(2002, 7, 5), (2003, 12, 26)].map { TimestampParser.daysFromCivil(year: $0.0, month: $0.1, day: $0.2) })

    /// In 2002 the half day was the Friday after July 4 instead of July 3.
    private static let oneOffFullDays: Set<Int64> = [TimestampParser.daysFromCivil(year: 2002, month: 7, day: 3)]

    /// The session on an Eastern calendar day, or nil when the market is closed that day.
    public func session(onDay day: Int64) -> Session? {
        guard let kind = kind(ofDay: day) else { return nil }
        let midnight = day &* 86_400
        func at(_ hour: Int64, _ minute: Int64 = 0) -> Int64 {
            EasternTime.instant(ofWallClock: midnight &+ hour * 3600 &+ minute * 60)
        }
        let half = kind == .halfDay
        return Session(
            day: day, preMarketOpen: at(4), open: at(9, 30), close: half ? at(13) : at(16),
            afterHoursClose: half ? at(17) : at(20), isHalfDay: half)
    }

    /// Whether the day is a trading day.
    public func isSession(day: Int64) -> Bool { kind(ofDay: day) != nil }

    /// Every session from `first` through `last` (Eastern day numbers, inclusive).
    public func sessions(from first: Int64, through last: Int64) -> [Session] {
        guard first <= last else { return [] }
        return (first...last).compactMap { session(onDay: $0) }
    }

    /// The session in progress at `utc` (extended hours included when asked), if any.
    public func session(at utc: Int64, extendedHours: Bool = false) -> Session? {
        guard let session = session(onDay: EasternTime.sessionDay(at: utc)) else { return nil }
        let (start, end) =
            extendedHours ? (session.preMarketOpen, session.afterHoursClose) : (session.open, session.close)
        return utc >= start && utc < end ? session : nil
    }

    /// Whether the market is open at `utc` (regular hours unless `extendedHours`).
    public func isOpen(at utc: Int64, extendedHours: Bool = false) -> Bool {
        session(at: utc, extendedHours: extendedHours) != nil
    }

    /// The first session whose regular open is after `utc`.
    public func nextOpen(after utc: Int64) -> Session { nextSession(after: utc) { $0.open } }

    /// The first session whose regular close is after `utc` (the current one while the market is open).
    public func nextClose(after utc: Int64) -> Session { nextSession(after: utc) { $0.close } }

    /// The last session that opened at or before `utc`.
    public func previousOpen(atOrBefore utc: Int64) -> Session {
        var day = EasternTime.sessionDay(at: utc)
        while true {
            if let session = session(onDay: day), session.open <= utc { return session }
            day -= 1
        }
    }

    private func nextSession(after utc: Int64, _ instant: (Session) -> Int64) -> Session {
        // There is never a gap of more than five days between sessions (September 2001 had four).
        var day = EasternTime.sessionDay(at: utc)
        while true {
            if let session = session(onDay: day), instant(session) > utc { return session }
            day += 1
        }
    }

    private enum DayKind { case full, halfDay }

    private func kind(ofDay day: Int64) -> DayKind? {
        let weekday = EasternTime.weekday(day)
        if weekday == 0 || weekday == 6 || Self.oneOffClosures.contains(day) { return nil }
        let (year, month, date) = TimestampParser.civilFromDays(day)
        if isHoliday(day: day, year: year, month: month, date: date, weekday: weekday) { return nil }
        if Self.oneOffHalfDays.contains(day) { return .halfDay }
        if Self.oneOffFullDays.contains(day) { return .full }
        // July 3, Christmas Eve: half days Monday to Thursday (a Friday July 3 or December 24 is the observed
        // holiday). The day after Thanksgiving is always one.
        if (month == 7 && date == 3) || (month == 12 && date == 24) { return weekday <= 4 ? .halfDay : .full }
        if month == 11 && weekday == 5 && isHoliday(day: day - 1, year: year, month: 11, date: date - 1, weekday: 4) {
            return .halfDay
        }
        return .full
    }

    /// The regular holidays as observed, for a weekday.
    private func isHoliday(day: Int64, year: Int, month: Int, date: Int, weekday: Int64) -> Bool {
        // Fixed-date holidays move to Friday from a Saturday and to Monday from a Sunday — except New Year's
        // Day, which is not moved back into December.
        func observed(_ holidayMonth: Int, _ holidayDate: Int) -> Bool {
            let holiday = TimestampParser.daysFromCivil(year: year, month: holidayMonth, day: holidayDate)
            switch EasternTime.weekday(holiday) {
            case 6: return day == holiday - 1
            case 0: return day == holiday + 1
            default: return day == holiday
            }
        }
        func nthMonday(_ n: Int, of holidayMonth: Int) -> Bool {
            month == holidayMonth && weekday == 1 && (date - 1) / 7 == n - 1
        }
        switch month {
        case 1:
            let newYear = TimestampParser.daysFromCivil(year: year, month: 1, day: 1)
            return day == newYear || (EasternTime.weekday(newYear) == 0 && day == newYear + 1) || nthMonday(3, of: 1)
        case 2: return nthMonday(3, of: 2)
        case 3, 4: return day == Self.easterSunday(year) - 2
        case 5: return weekday == 1 && date + 7 > 31
        case 6: return year >= 2022 && observed(6, 19)
        case 7: return observed(7, 4)
        case 9: return nthMonday(1, of: 9)
        case 11: return weekday == 4 && (date - 1) / 7 == 3
        case 12: return observed(12, 25)
        default: return false
        }
    }

    /// Easter Sunday of the Gregorian calendar (the anonymous Gregorian algorithm), as a day number.
    static func easterSunday(_ year: Int) -> Int64 {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return TimestampParser.daysFromCivil(year: year, month: month, day: day)
    }
}
