import PulseClient
import PulseProtocol
import Testing

@Suite("Timeframe text: our spellings, Alpaca's, Alpha Vantage's and pandas'")
struct TimeframeTextTests {
    @Test(
        arguments: [
            ("1m", 1, PulseV1.Timeframe.Unit.minute), ("5m", 5, .minute), ("5Min", 5, .minute), ("5min", 5, .minute),
            ("15T", 15, .minute), ("60min", 60, .minute), ("1h", 1, .hour), ("1Hour", 1, .hour), ("4H", 4, .hour),
            ("1d", 1, .day), ("1Day", 1, .day), ("D", 1, .day), ("daily", 1, .day), ("1w", 1, .week),
            ("1Week", 1, .week), ("weekly", 1, .week), ("1mo", 1, .month), ("1M", 1, .month), ("1Month", 1, .month),
            ("monthly", 1, .month), ("1MS", 1, .month), ("30s", 30, .second),
        ])
    func parses(_ text: String, _ multiple: UInt32, _ unit: PulseV1.Timeframe.Unit) throws {
        #expect(try PulseV1.Timeframe.parsing(text) == PulseV1.Timeframe(multiple, unit))
    }

    @Test func minuteAndMonthAreTellApartByCase() throws {
        #expect(try PulseV1.Timeframe.parsing("1m").unit == .minute)
        #expect(try PulseV1.Timeframe.parsing("1M").unit == .month)
    }

    @Test(arguments: ["", "0m", "5x", "m5", "1.5h", "99999999999m"])
    func rejects(_ text: String) {
        #expect(throws: TimeframeTextError.self) { try PulseV1.Timeframe.parsing(text) }
    }

    @Test func printsOurForm() {
        #expect(PulseV1.Timeframe(5, .minute).text == "5m")
        #expect(PulseV1.Timeframe(1, .month).text == "1mo")
        #expect(PulseV1.Timeframe(0, .day).text == "1d")
    }
}
