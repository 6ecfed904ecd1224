import Foundation
import Testing

@testable import PulseAnalytics

@Suite("US/Eastern time without the time-zone database")
struct EasternTimeTests {
    @Test(arguments: [
        // 2024: second Sunday of March 07:00 UTC, first Sunday of November 06:00 UTC.
        (Int64(1_710_053_999), Int64(-5)), (1_710_054_000, -4), (1_730_613_599, -4), (1_730_613_600, -5),
        // 2006, the older rules: first Sunday of April (Apr 2), last Sunday of October (Oct 29).
        (1_143_961_199, -5), (1_143_961_200, -4), (1_162_101_599, -4), (1_162_101_600, -5),
        // 1974's January start.
        (126_687_600, -4), (126_687_599, -5),
    ])
    func transitionsHappenAtTheRightSecond(_ utc: Int64, _ hours: Int64) {
        #expect(EasternTime.utcOffset(at: utc) == hours * 3600)
    }

    @Test func agreesWithTheSystemTimeZoneDatabaseHourlyFrom1967To2037() throws {
        let zone = try #require(TimeZone(identifier: "America/New_York"))
        var mismatches: [Int64] = []
        var t: Int64 = -94_694_400  // 1967-01-01
        while t < 2_145_916_800 {  // 2038-01-01
            let expected = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t))))
            if EasternTime.utcOffset(at: t) != expected { mismatches.append(t) }
            t += 3600
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(5))")
    }

    @Test func wallClockRoundTripsAndResolvesTheRepeatedHour() {
        // 2024-11-03 01:30 local happens twice; the daylight one (05:30 UTC) is chosen.
        let wall = TimestampParser.daysFromCivil(year: 2024, month: 11, day: 3) * 86_400 + 5_400
        #expect(EasternTime.instant(ofWallClock: wall) == 1_730_611_800)
        // 2024-03-10 02:30 local does not exist: the instant an hour later (03:30 EDT = 07:30 UTC).
        let skipped = TimestampParser.daysFromCivil(year: 2024, month: 3, day: 10) * 86_400 + 9_000
        #expect(EasternTime.instant(ofWallClock: skipped) == 1_710_055_800)
    }

    @Test func sessionDayIsTheNewYorkCalendarDay() {
        // 2024-03-05 03:00 UTC is 22:00 on March 4 in New York.
        #expect(
            EasternTime.sessionDay(at: 1_709_607_600) == TimestampParser.daysFromCivil(year: 2024, month: 3, day: 4))
    }
}
