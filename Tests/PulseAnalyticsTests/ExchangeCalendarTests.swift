import Testing

@testable import PulseAnalytics

@Suite("NYSE calendar")
struct ExchangeCalendarTests {
    private let nyse = ExchangeCalendar.nyse

    private func day(_ y: Int, _ m: Int, _ d: Int) -> Int64 { TimestampParser.daysFromCivil(year: y, month: m, day: d) }

    @Test(
        "holidays as the exchange observed them",
        arguments: [
            (2022, 1, 1, false),  // New Year's Day on a Saturday is not moved to Friday…
            (2021, 12, 31, true),  // …so Friday 2021-12-31 traded
            (2023, 1, 2, false),  // New Year's Day on a Sunday moves to Monday
            (2024, 1, 15, false),  // Martin Luther King Jr. Day
            (2024, 3, 29, false),  // Good Friday (Easter 2024-03-31)
            (2019, 4, 19, false),  // Good Friday (Easter 2019-04-21)
            (2024, 5, 27, false),  // Memorial Day
            (2021, 6, 18, true),  // Juneteenth was first observed in 2022
            (2022, 6, 20, false),  // Juneteenth 2022 (a Sunday) on Monday
            (2020, 7, 3, false),  // July 4 on a Saturday: Friday off
            (2024, 11, 28, false),  // Thanksgiving
            (2021, 12, 24, false),  // Christmas on a Saturday: Friday off
            (2001, 9, 11, false), (2001, 9, 17, true),  // September 11: closed through the 14th
            (2012, 10, 29, false),  // Hurricane Sandy
            (2025, 1, 9, false),  // President Carter's day of mourning
            (2024, 3, 9, false),  // a Saturday
            (2024, 3, 11, true),
        ])
    func holidays(year: Int, month: Int, date: Int, open: Bool) {
        #expect(nyse.isSession(day: day(year, month, date)) == open)
    }

    @Test("regular hours follow US/Eastern daylight saving; half days close at 13:00")
    func hours() throws {
        // 2024-03-08 (EST, UTC−5): 09:30 = 14:30Z; 2024-03-11 (EDT, UTC−4): 09:30 = 13:30Z.
        let winter = try #require(nyse.session(onDay: day(2024, 3, 8)))
        #expect(winter.open == 1_709_908_200 && winter.close == 1_709_931_600)
        let summer = try #require(nyse.session(onDay: day(2024, 3, 11)))
        #expect(summer.open == 1_710_163_800)
        #expect(summer.preMarketOpen == summer.open - 5 * 3600 - 1800)
        #expect(summer.afterHoursClose == summer.close + 4 * 3600)
        // The day after Thanksgiving 2024: 13:00 EST = 18:00Z, after hours until 17:00.
        let half = try #require(nyse.session(onDay: day(2024, 11, 29)))
        #expect(half.isHalfDay && half.close == 1_732_903_200 && half.afterHoursClose == half.close + 4 * 3600)
        #expect(nyse.session(onDay: day(2024, 12, 24))?.isHalfDay == true)
        #expect(nyse.session(onDay: day(2024, 12, 23))?.isHalfDay == false)
    }

    @Test("the market clock: open, extended hours, next open and close across a long weekend")
    func clock() throws {
        let fridayClose: Int64 = 1_709_931_600  // 2024-03-08 16:00 EST
        #expect(nyse.isOpen(at: fridayClose - 1))
        #expect(!nyse.isOpen(at: fridayClose))
        #expect(nyse.isOpen(at: fridayClose, extendedHours: true))
        #expect(nyse.nextClose(after: fridayClose - 1).close == fridayClose)
        #expect(nyse.nextOpen(after: fridayClose).day == day(2024, 3, 11))
        // Thursday 2024-03-28 after the close: Good Friday is skipped.
        #expect(nyse.nextOpen(after: 1_711_656_000).day == day(2024, 4, 1))
        #expect(nyse.previousOpen(atOrBefore: 1_711_800_000).day == day(2024, 3, 28))
        // Dec 23, 24, 26, 27, 30, 31, Jan 2, 3 (Christmas and New Year's Day off).
        #expect(nyse.sessions(from: day(2024, 12, 21), through: day(2025, 1, 3)).count == 8)
    }

    @Test("Easter Sunday by the Gregorian computus")
    func easter() {
        #expect(ExchangeCalendar.easterSunday(2000) == day(2000, 4, 23))
        #expect(ExchangeCalendar.easterSunday(2008) == day(2008, 3, 23))
        #expect(ExchangeCalendar.easterSunday(2038) == day(2038, 4, 25))
    }
}
