import Testing

@testable import PulseAnalytics

@Suite struct OHLCVCSVTests {
    @Test func readsDateHeaderFormWithAnyCase() throws {
        let series = try OHLCVCSV.parse(
            "Date,Open,High,Low,Close,Volume\n2004-08-19,100,104,95,100.5,44659000\n2004-08-20,101,109,100,108.3,22834300\n"
        )
        #expect(series.labels == ["2004-08-19", "2004-08-20"])
        #expect(series.close == [100.5, 108.3])
        #expect(series.volume == [44_659_000, 22_834_300])
        #expect(series.timestamps == [1_092_873_600, 1_092_960_000])
    }

    @Test func readsPandasFormWithEmptyFirstHeader() throws {
        let series = try OHLCVCSV.parse(",open,high,low,close,volume\r\n2024-01-02 09:30:00,1,2,0.5,1.5,10\r\n")
        #expect(series.labels == ["2024-01-02 09:30:00"])
        #expect(series.timestamps == [1_704_187_800])
        #expect(series.high == [2])
    }

    @Test func indexColumnWithoutTimesHasNoTimestamps() throws {
        let series = try OHLCVCSV.parse("index,open,high,low,close\n0,1,2,0.5,1.5\n1,1,2,0.5,1.75\n")
        #expect(series.timestamps == nil)
        #expect(series.volume == nil)
        #expect(series.labels == ["0", "1"])
    }

    @Test func missingColumnsAndBadNumbersAreNamed() {
        #expect(throws: CSVError.self) { try OHLCVCSV.parse("date,open,close\n") }
        do {
            _ = try OHLCVCSV.parse("date,open,high,low,close\n2024-01-01,1,2,x,1\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2)
            #expect(error.message.contains("'x'"))
        }
    }

    @Test func timestampForms() {
        #expect(TimestampParser.parse("1970-01-02") == 86_400)
        #expect(TimestampParser.parse("2024-03-10T14:30:00Z") == 1_710_081_000)
        #expect(TimestampParser.parse("2024-03-10T09:30:00-05:00") == 1_710_081_000)
        #expect(TimestampParser.parse("1710081000") == 1_710_081_000)
        #expect(TimestampParser.parse("1710081000000") == 1_710_081_000)
        #expect(TimestampParser.parse("12") == nil)
        #expect(TimestampParser.iso8601(1_710_081_000) == "2024-03-10T14:30:00Z")
    }
}
