import Testing

@testable import PulseAnalytics

@Suite("Bad market data is refused or repaired, never silently used")
struct BarValidationTests {
    private let header = "date,open,high,low,close,volume\n"

    private func failure(_ text: String) -> CSVError? {
        do {
            _ = try OHLCVCSV.read(text)
            return nil
        } catch {
            return error
        }
    }

    @Test(
        "an unusable bar is refused with its line and the problem",
        arguments: [
            ("2024-01-03,1,2,0.5,nan,10\n", 4, "close is missing or NaN"),
            ("2024-01-03,1,2,0.5,,10\n", 4, "close is missing or NaN"),
            ("2024-01-03,inf,2,0.5,1,10\n", 4, "open is infinite"),
            ("2024-01-03,1,-Infinity,0.5,1,10\n", 4, "high is infinite"),
            ("2024-01-03,1,2,NaN,1,10\n", 4, "low is missing or NaN"),
            ("2024-01-03,1,0.5,2,1,10\n", 4, "high 0.5 is below low 2.0"),
            ("2024-01-03,1,2,0.5,1,-5\n", 4, "volume is negative (-5.0)"),
            ("2024-01-03,1,2,0.5,1,\n", 4, "volume is missing or NaN"),
            ("2024-01-03,1,2,0.5,1,inf\n", 4, "volume is infinite"),
        ])
    func refused(row: String, line: Int, problem: String) throws {
        let text = header + "2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1,2,0.5,1.5,10\n" + row
        let error = try #require(failure(text))
        #expect(error.line == line)
        #expect(error.message.hasPrefix(problem), "\(error.message)")
    }

    @Test("a blank line before the bad row shifts the line it is reported on")
    func blankLinesCountInTheLineNumber() throws {
        let text = header + "2024-01-01,1,2,0.5,1.5,10\n\n\n2024-01-02,1,0.4,0.5,1.5,10\n"
        #expect(failure(text)?.line == 5)
    }

    @Test("two bars at the same time are refused, naming both lines")
    func duplicateTimes() throws {
        let text = header + "2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1,2,0.5,1.5,10\n2024-01-01,1,2,0.5,1.5,10\n"
        let error = try #require(failure(text))
        #expect(error.line == 4)
        #expect(error.message.contains("duplicate time '2024-01-01'"))
        #expect(error.message.contains("line 2"))
        // Adjacent duplicates in an otherwise ascending file too.
        let adjacent = header + "2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1,2,0.5,1.5,10\n2024-01-02,1,2,0.5,1.5,10\n"
        #expect(failure(adjacent)?.line == 4)
        // And in a newest-first file.
        let descending = header + "2024-01-03,1,2,0.5,1.5,10\n2024-01-02,1,2,0.5,1.5,10\n2024-01-02,1,2,0.5,1.5,10\n"
        #expect(failure(descending)?.line == 4)
    }

    @Test("newest-first bars are reversed without a warning")
    func descendingIsReversedQuietly() throws {
        let text = header + "2024-01-03,3,3,3,3,30\n2024-01-02,2,2,2,2,20\n2024-01-01,1,1,1,1,10\n"
        let result = try OHLCVCSV.read(text)
        #expect(result.bars.labels == ["2024-01-01", "2024-01-02", "2024-01-03"])
        #expect(result.bars.close == [1, 2, 3])
        #expect(result.bars.volume == [10, 20, 30])
        #expect(result.bars.timestamps == [1_704_067_200, 1_704_153_600, 1_704_240_000])
        #expect(result.warnings.isEmpty)
    }

    @Test("bars out of order otherwise are sorted with a warning naming the first misplaced line")
    func shuffledIsSortedWithAWarning() throws {
        let text =
            header + "2024-01-02,2,2,2,2,20\n2024-01-01,1,1,1,1,10\n2024-01-04,4,4,4,4,40\n2024-01-03,3,3,3,3,30\n"
        let result = try OHLCVCSV.read(text)
        #expect(result.bars.close == [1, 2, 3, 4])
        #expect(result.bars.labels == ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"])
        #expect(result.warnings.count == 1)
        #expect(result.warnings.first?.contains("line 3 is earlier than line 2") == true)
    }

    @Test("an open or close outside low…high is a warning, not a refusal")
    func openOutsideTheRangeIsAWarning() throws {
        let text = header + "2024-01-01,2.5,2,0.5,1.5,10\n2024-01-02,1,2,0.5,0.4,10\n2024-01-03,1,2,0.5,1,10\n"
        let result = try OHLCVCSV.read(text)
        #expect(result.bars.count == 3)
        #expect(result.warnings == ["2 bars have an open or close outside low…high (first: line 2)"])
    }

    @Test("clean ascending bars pass unchanged, and a file without times is left in its order")
    func cleanInputPasses() throws {
        let text = header + "2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1,2,0.5,1.75,0\n"
        let result = try OHLCVCSV.read(text)
        #expect(result.warnings.isEmpty)
        #expect(result.bars.close == [1.5, 1.75])
        let untimed = try OHLCVCSV.read("label,open,high,low,close\nb,1,2,0.5,1\na,1,2,0.5,1\n")
        #expect(untimed.bars.labels == ["b", "a"])
        #expect(untimed.bars.timestamps == nil)
    }

    @Test("the validator names rows the way its caller does")
    func otherSourcesNameTheirRows() throws {
        let series = BarSeries(
            labels: ["a", "b"], timestamps: [60, 120], open: [1, 1], high: [2, 2], low: [0.5, 3], close: [1, 1],
            volume: nil)
        #expect(throws: BarDataError("high 2.0 is below low 3.0", row: 1, rowName: "bar at 120")) {
            try BarValidation.validate(series) { "bar at \(series.timestamps![$0])" }
        }
    }
}
