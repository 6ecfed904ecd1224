import Testing

@testable import PulseLoad

@Suite("Rate schedules")
struct RateScheduleTests {
    @Test("a constant rate spaces requests evenly")
    func constant() throws {
        let schedule = try RateSchedule.parse("1000", duration: 10)
        #expect(abs(schedule.intendedTime(ofRequest: 0) - 0.001) < 1e-12)
        #expect(abs(schedule.intendedTime(ofRequest: 999) - 1.0) < 1e-9)
    }

    @Test("steps raise the rate every period, then hold it")
    func steps() throws {
        let schedule = try RateSchedule.parse("step:100:300:100:1s", duration: 10)
        #expect(schedule.rate(at: 0.5) == 100)
        #expect(schedule.rate(at: 1.5) == 200)
        #expect(schedule.rate(at: 5) == 300)
        // 100 requests in the first second, 200 in the second: request 299 is due at 2 s.
        #expect(abs(schedule.intendedTime(ofRequest: 99) - 1.0) < 1e-9)
        #expect(abs(schedule.intendedTime(ofRequest: 299) - 2.0) < 1e-9)
        #expect(abs(schedule.intendedTime(ofRequest: 599) - 3.0) < 1e-9)
    }

    @Test("a ramp from 0 to 200 over 10 s sends 1000 requests by its end")
    func lineCount() throws {
        let schedule = try RateSchedule.parse("line:0:200", duration: 10)
        #expect(abs(schedule.intendedTime(ofRequest: 999) - 10.0) < 1e-6)
        // Half the requests by t where t²·10 = 500: t = √50.
        #expect(abs(schedule.intendedTime(ofRequest: 499) - 50.0.squareRoot()) < 1e-6)
        #expect(schedule.rate(at: 5) == 100)
    }

    @Test("bad schedules are refused", arguments: ["0", "-5", "step:1:2", "line:1", "wave:1:2", "step:1:10:0:1s"])
    func bad(_ text: String) {
        #expect(throws: LoadError.self) { try RateSchedule.parse(text, duration: 10) }
    }
}

@Suite("Asked rates")
struct AskedRateTests {
    @Test("the mean asked rate of a ramp is its midpoint")
    func meanOfRamp() throws {
        let schedule = try RateSchedule.parse("line:100:300", duration: 10)
        #expect(abs(UnaryLoad.meanRate(schedule, from: 0, seconds: 10) - 200) < 0.01)
        #expect(abs(UnaryLoad.meanRate(.constant(50), from: 3, seconds: 2) - 50) < 1e-9)
    }
}
