import Testing

@testable import PulseAnalytics

@Suite struct OHLCVCSVEdgeTests {
    private let header = "date,open,high,low,close\n"

    /// The rows as read, before validation (which refuses NaN prices).
    private func rows(_ text: String) throws -> BarSeries {
        var text = text
        return try text.withUTF8 { bytes in try OHLCVCSV.parseRows(bytes).0 }
    }

    private func closes(_ rows: String) throws -> [Double] {
        try self.rows(header + rows).close
    }

    private func failure(_ text: String) -> CSVError? {
        do {
            _ = try OHLCVCSV.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func lastLineWithoutNewlineIsRead() throws {
        let series = try OHLCVCSV.parse(header + "2024-01-01,1,2,0.5,1.5\n2024-01-02,1,2,0.5,1.75")
        #expect(series.close == [1.5, 1.75])
        #expect(series.labels == ["2024-01-01", "2024-01-02"])
    }

    @Test func trailingGarbageInANumberIsRejectedWithLineAndColumn() {
        let error = failure(header + "2024-01-01,1,2,0.5,1.5\n\n2024-01-03,1,2,0.5,1.5x\n")
        #expect(error == CSVError("'1.5x' in column 'close' is not a number", line: 4))
        #expect(failure(header + "2024-01-01,1,2,0.5,1e\n")?.message == "'1e' in column 'close' is not a number")
        #expect(failure(header + "2024-01-01,1,2,0.5,1 5\n") != nil)
        #expect(failure(header + "2024-01-01,1,2,0.5,--1\n") != nil)
    }

    @Test func shortRowNamesTheFieldCount() {
        #expect(failure(header + "2024-01-01,1,2\n") == CSVError("expected at least 5 fields, found 3", line: 2))
    }

    @Test func numbersMatchSwiftParsingBitForBit() throws {
        let texts = [
            "1e308", "-0", "0", "inf", "-Infinity", "nan", "NaN", "1.7976931348623157e308", "1e309", "4.9e-324",
            "1e-400", "0x1p3", ".5", "5.", "+2.5", "123456789012345678901234", "9007199254740993", "0.1", "1e23",
            "1e22", "1e-22", "123.456e-5",
        ]
        let values = try closes(texts.map { "x,1,2,0.5,\($0)\n" }.joined())
        for (text, value) in zip(texts, values) {
            #expect(value.bitPattern == Double(text)!.bitPattern, "\(text)")
        }
        #expect(values[1].sign == .minus)
    }

    @Test func quotedPaddedAndEmptyFields() throws {
        let values = try closes("\"a,b\",1,2,0.5,\"1.25\"\r\nb,1,2,0.5, 2.5\t\r\nc,1,2,0.5,\nd,1,2,0.5,\" \"\n")
        #expect(values[0] == 1.25)
        #expect(values[1] == 2.5)
        #expect(values[2].isNaN && values[3].isNaN)
        #expect(try OHLCVCSV.parse(header + "\"a,b\",1,2,0.5,1\n").labels == ["a,b"])
    }

    @Test func byteOrderMarkBlankLinesAndExtraColumns() throws {
        let series = try OHLCVCSV.parse(
            "\u{FEFF}Timestamp,Open,High,Low,Close,Volume,Note\r\n\r\n1710081000,1,2,0.5,1.5,10,x\r\n\n")
        #expect(series.timestamps == [1_710_081_000])
        #expect(series.volume == [10])
        #expect(series.labels == ["1710081000"])
    }

    @Test func decimalFastPathAgreesWithSwiftOnGeneratedNumbers() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        for _ in 0..<20_000 {
            var text = next() % 4 == 0 ? "-" : ""
            let digits = Int(next() % 22) + 1
            let point = Int(next() % UInt64(digits + 1))
            for k in 0..<digits {
                if k == point { text += "." }
                text += String(next() % 10)
            }
            if next() % 3 == 0 { text += "e\(Int(next() % 60) - 30)" }
            let parsed = Array(text.utf8).withUnsafeBufferPointer { DecimalParser.parse($0) }
            #expect(parsed?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
    }

    @Test func timesAcrossChangingDatesInOneFile() throws {
        let rows = ["2024-01-01 09:30", "2024-01-01 09:31", "2024-01-02 09:30", "2024-01-01 10:00"]
        let series = try self.rows(header + rows.map { "\($0),1,2,0.5,1\n" }.joined())
        let midnight: Int64 = 1_704_067_200  // 2024-01-01T00:00:00Z
        let expected = [34_200, 34_260, 86_400 + 34_200, 36_000].map { midnight + Int64($0) }
        #expect(series.timestamps == expected)
    }

    @Test func sharedDayCacheNeverAcceptsWhatAFreshParseRejects() {
        var cache = TimestampParser.DayCache()
        let texts = [
            "2024-01-01 09:30", "2024-01-01x", "2024-01-01", "1704067200", "2024-01-01T00:00:01Z", "2024-01-0",
        ]
        for text in texts {
            let shared = Array(text.utf8).withUnsafeBufferPointer { TimestampParser.parse($0, days: &cache) }
            #expect(shared == TimestampParser.parse(text), "\(text)")
        }
        #expect(TimestampParser.parse("2024-01-01x") == nil)
    }

    @Test func timestampFormsAfterRewrite() {
        #expect(TimestampParser.parse("2024-03-10 14:30:00.123+01:30") == Int64(1_710_081_000 - 5_400))  // 13:00 UTC
        #expect(TimestampParser.parse("2024-03-10T14:30Z") == 1_710_081_000)
        #expect(TimestampParser.parse(" 2024-03-10 14:30:00 ") == 1_710_081_000)
        #expect(TimestampParser.parse("2024-13-01") == nil)
        #expect(TimestampParser.parse("2024-03-10 14:30:00Zx") == nil)
        #expect(TimestampParser.parse("171008100x") == nil)
    }
}
