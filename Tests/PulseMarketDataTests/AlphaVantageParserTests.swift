import Foundation
import PulseAnalytics
import PulseTestSupport
import Testing

@testable import PulseMarketData

/// The fixture files' bytes (Tests/interop/fixtures/alphavantage, copied from ../shared/fixtures).
func fixture(_ name: String) throws -> [UInt8] {
    let url = ProjectScript.repository.appendingPathComponent("Tests/interop/fixtures/alphavantage/\(name)")
    return Array(try Data(contentsOf: url))
}

/// Seconds since the epoch of a UTC time written by hand.
func utc(_ text: String) -> Int64 { TimestampParser.parse(text)! }

@Suite("Alpha Vantage responses")
struct AlphaVantageParserTests {
    let now = utc("2024-05-31 20:00:00")

    func document(_ name: String) throws -> JSONValue? {
        try AlphaVantageResponse.check(try fixture(name), rateLimitPause: .seconds(60), now: now)
    }

    @Test("Intraday JSON: newest first in, oldest first out, US/Eastern (EDT) to UTC")
    func intradayJSON() throws {
        let bars = try AlphaVantageParser.bars(
            json: try #require(try document("time_series_intraday_5min.json")), symbol: "IBM", interval: "5min")
        #expect(
            bars.bars.labels == [
                "2024-05-31 15:55:00", "2024-05-31 16:00:00", "2024-05-31 19:50:00", "2024-05-31 19:55:00",
            ])
        // May is daylight time: UTC-4.
        #expect(
            bars.bars.timestamps == [
                utc("2024-05-31 19:55:00"), utc("2024-05-31 20:00:00"), utc("2024-05-31 23:50:00"),
                utc("2024-05-31 23:55:00"),
            ])
        #expect(bars.bars.close == [166.74, 166.75, 166.85, 166.9])
        #expect(bars.bars.volume == [412093, 1563227, 105, 312])
        #expect(bars.warnings.isEmpty)
    }

    @Test("Intraday CSV with CRLF gives the same bars as its JSON")
    func intradayCSV() throws {
        let csv = try fixture("time_series_intraday_5min.csv")
        #expect(csv.contains(0x0D))
        #expect(try AlphaVantageResponse.check(csv, rateLimitPause: .seconds(60), now: now) == nil)
        let bars = try AlphaVantageParser.bars(csv: csv, symbol: "IBM", interval: "5min")
        #expect(bars.bars.timestamps == [utc("2024-05-31 23:50:00"), utc("2024-05-31 23:55:00")])
        #expect(bars.bars.open == [166.8, 166.85])
    }

    @Test("Daily JSON (plain and adjusted shapes): dates at midnight UTC")
    func daily() throws {
        for name in ["time_series_daily.json", "time_series_daily_adjusted.json"] {
            let bars = try AlphaVantageParser.bars(
                json: try #require(try document(name)), symbol: "IBM", interval: "1d")
            #expect(bars.bars.timestamps == [utc("2024-05-30"), utc("2024-05-31")])
            #expect(bars.bars.volume == [3852963, 4905002])
            #expect(bars.bars.high == [166.995, 166.97])
        }
    }

    @Test("GLOBAL_QUOTE in JSON and CSV")
    func quote() throws {
        let json = try AlphaVantageParser.quote(
            try fixture("global_quote.json"), document: try document("global_quote.json"))
        let csv = try AlphaVantageParser.quote(try fixture("global_quote.csv"), document: nil)
        let expected = AlphaVantageQuote(
            symbol: "IBM", open: 165.7, high: 166.97, low: 163.84, price: 166.85, volume: 4905002,
            latestTradingDay: "2024-05-31", latestTradingDayStart: utc("2024-05-31"), previousClose: 165.66,
            change: 1.19, changePercent: 0.7183)
        #expect(json == expected)
        #expect(csv == expected)
    }

    @Test("SYMBOL_SEARCH")
    func search() throws {
        let matches = try AlphaVantageParser.symbolMatches(try #require(try document("symbol_search.json")))
        #expect(matches.map(\.symbol) == ["IBM", "IBML"])
        #expect(matches[1].type == "ETF" && matches[1].matchScore == 0.8571 && matches[0].timezone == "UTC-04")
    }

    @Test(
        "Each error body is its own error",
        arguments: [
            ("error_invalid_call.json", AlphaVantageError.Code.invalidCall, false),
            ("note_legacy_rate_limit.json", .rateLimited, true),
            ("rate_limit_information.json", .dailyQuotaExhausted, false),
            ("premium_endpoint_information.json", .premiumEndpoint, false),
        ])
    func errors(name: String, code: AlphaVantageError.Code, retryable: Bool) throws {
        do {
            _ = try document(name)
            Issue.record("\(name) was taken for data")
        } catch let error as AlphaVantageError {
            #expect(error.code == code)
            #expect(error.isRetryable == retryable)
            if code == .dailyQuotaExhausted {
                // 20:00 UTC on 2024-05-31 is 16:00 EDT: eight hours to midnight US/Eastern.
                #expect(error.retryAfter == .seconds(8 * 3600))
            }
        }
    }

    @Test("The burst warning is a pause, not a spent day")
    func burst() {
        let body =
            #"{"Information": "Thank you for using Alpha Vantage! Please consider spreading out your free API "#
            + #"requests more sparingly (1 request per second). You may subscribe to any of the premium plans at "#
            + #"https://www.alphavantage.co/premium/ to lift the free key rate limit (25 requests per day)."}"#
        do {
            _ = try AlphaVantageResponse.check(Array(body.utf8), rateLimitPause: .seconds(60), now: now)
            Issue.record("taken for data")
        } catch {
            #expect(error.code == .rateLimited && error.retryAfter == .seconds(2))
        }
    }

    @Test("Wall time across the spring-forward day (2024-03-10) and fall-back day (2024-11-03)")
    func daylightSaving() throws {
        let csv = """
            timestamp,open,high,low,close,volume\r
            2024-11-04 09:30:00,1,1,1,1,1\r
            2024-11-01 09:30:00,1,1,1,1,1\r
            2024-03-11 09:30:00,1,1,1,1,1\r
            2024-03-08 19:59:00,1,1,1,1,1\r
            2024-03-08 09:30:00,1,1,1,1,1\r

            """
        let bars = try AlphaVantageParser.bars(csv: Array(csv.utf8), symbol: "X", interval: "1min")
        #expect(
            bars.bars.timestamps == [
                utc("2024-03-08 14:30:00"), utc("2024-03-09 00:59:00"), utc("2024-03-11 13:30:00"),
                utc("2024-11-01 13:30:00"), utc("2024-11-04 14:30:00"),
            ])
    }

    @Test("Bad bars are refused by BarValidation, naming the row")
    func badBars() throws {
        let highBelowLow = "timestamp,open,high,low,close,volume\r\n2024-03-08 09:31:00,1,1,2,1,1\r\n"
        let duplicate =
            "timestamp,open,high,low,close,volume\r\n2024-03-08 09:31:00,1,1,1,1,1\r\n2024-03-08 09:31:00,1,1,1,1,1\r\n"
        let missing = "timestamp,open,high,low,close,volume\r\n2024-03-08 09:31:00,1,,1,1,1\r\n"
        for (csv, words) in [(highBelowLow, "line 2: high"), (duplicate, "duplicate"), (missing, "high is missing")] {
            do {
                _ = try AlphaVantageParser.bars(csv: Array(csv.utf8), symbol: "X", interval: "1min")
                Issue.record("accepted: \(csv)")
            } catch {
                #expect(error.code == .badData)
                #expect(error.message.contains(words), "\(error.message)")
            }
        }
    }

    @Test("Query URLs: parameters encoded, entitlement and key last")
    func queryURL() {
        let query = AlphaVantageQuery.intraday(
            symbol: "BRK.B", interval: .oneMinute, outputSize: .full, month: "2024-03", extendedHours: false,
            adjusted: true, format: .csv)
        #expect(
            query.url(base: "http://h/query", apiKey: "k&y", entitlement: .delayed)
                == "http://h/query?function=TIME_SERIES_INTRADAY&symbol=BRK.B&interval=1min&outputsize=full"
                + "&month=2024-03&extended_hours=false&adjusted=true&datatype=csv&entitlement=delayed&apikey=k%26y")
        #expect(
            AlphaVantageQuery.symbolSearch(keywords: "tesco plc").url(base: "b", apiKey: "K", entitlement: nil)
                == "b?function=SYMBOL_SEARCH&keywords=tesco%20plc&apikey=K")
    }

    @Test("Configuration from the environment")
    func configuration() throws {
        let configuration = try AlphaVantageConfiguration(environment: [
            "ALPHA_VANTAGE_API_KEY": "K", "ALPHA_VANTAGE_BASE_URL": "http://127.0.0.1:1/query",
            "ALPHA_VANTAGE_ENTITLEMENT": "realtime", "ALPHA_VANTAGE_PER_MINUTE": "75",
        ])
        #expect(configuration.baseURL == "http://127.0.0.1:1/query" && configuration.entitlement == .realtime)
        #expect(configuration.dailyLimit == 25 && configuration.perMinuteLimit == 75)
        #expect(throws: AlphaVantageError.self) { try AlphaVantageConfiguration(environment: [:]) }
    }

    @Test("Backoff grows, is capped and jittered")
    func backoff() {
        let policy = RetryPolicy(maximumAttempts: 5, initialDelay: .seconds(1), maximumDelay: .seconds(10))
        for attempt in 1...8 {
            let step = min(1 << (attempt - 1), 10)
            let delay = policy.delay(after: attempt)
            #expect(delay >= .milliseconds(step * 500) && delay <= .seconds(step))
        }
    }
}
