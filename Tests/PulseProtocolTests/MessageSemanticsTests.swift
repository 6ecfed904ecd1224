import Testing

@testable import PulseProtocol

@Suite("pulse.v1 message semantics: presence, oneofs, open enums, text forms")
struct MessageSemanticsTests {
    @Test("optional fields distinguish unset from zero")
    func explicitPresence() throws {
        var request = PulseV1.BacktestRequest()
        #expect(request.serializedBytes().isEmpty)
        request.stopLoss = 0
        // field 19, wire type 1 → key 0x99 0x01, then eight zero bytes
        #expect(request.serializedBytes() == hex("99 01 00 00 00 00 00 00 00 00"))
        #expect(try PulseV1.BacktestRequest(serializedBytes: request.serializedBytes()).stopLoss == 0)
        #expect(try PulseV1.BacktestRequest(serializedBytes: []).stopLoss == nil)
    }

    @Test("the last member of a oneof on the wire wins; a zero member is still set")
    func oneofs() throws {
        // Sizing: cash = 1.0 (field 3) then units = 0.0 (field 2)
        let bytes = hex("19 00 00 00 00 00 00 f0 3f  11 00 00 00 00 00 00 00 00")
        #expect(try PulseV1.Sizing(serializedBytes: bytes).size == .units(0))
        #expect(PulseV1.Sizing(.units(0)).serializedBytes() == hex("11 00 00 00 00 00 00 00 00"))
        // QuoteEvent: tick then gap → gap
        let event = PulseV1.QuoteEvent(.gap(PulseV1.SequenceGap(symbol: "A", firstMissing: 1, lastMissing: 2)))
        let tick = PulseV1.QuoteEvent(.tick(PulseV1.Tick(symbol: "A", sequence: 9, timeMs: 1, price: 1)))
        #expect(try PulseV1.QuoteEvent(serializedBytes: tick.serializedBytes() + event.serializedBytes()) == event)
        // Two halves of the same member merge.
        var first = PulseV1.Tick()
        first.symbol = "A"
        var second = PulseV1.Tick()
        second.sequence = 7
        let merged = try PulseV1.QuoteEvent(
            serializedBytes: PulseV1.QuoteEvent(.tick(first)).serializedBytes()
                + PulseV1.QuoteEvent(.tick(second)).serializedBytes())
        guard case .tick(let tickValue) = merged.event else {
            Issue.record("expected a tick")
            return
        }
        #expect(tickValue.symbol == "A" && tickValue.sequence == 7)
    }

    @Test("enum values this build does not name survive a round trip")
    func openEnums() throws {
        let bytes = hex("28 09")  // SymbolInfo.source (field 5) = 9
        let info = try PulseV1.SymbolInfo(serializedBytes: bytes)
        #expect(info.source.rawValue == 9)
        #expect(info.serializedBytes() == bytes)
    }

    @Test("fields a newer peer adds are skipped")
    func forwardCompatibility() throws {
        var tick = PulseV1.Tick(symbol: "AAPL", sequence: 5, timeMs: 10, price: 1.5)
        tick.conflated = 2
        // field 20 (string "new") and field 21 (fixed32) appended by a hypothetical newer version
        let newer = tick.serializedBytes() + hex("a2 01 03 6e 65 77  ad 01 01 02 03 04")
        #expect(try PulseV1.Tick(serializedBytes: newer) == tick)
    }

    @Test(
        "timeframes parse and print their text form",
        arguments: [
            ("1m", 1, PulseV1.Timeframe.Unit.minute), ("5m", 5, .minute), ("4h", 4, .hour), ("1d", 1, .day),
            ("2w", 2, .week), ("1mo", 1, .month), ("30s", 30, .second),
        ])
    func timeframeText(text: String, multiple: UInt32, unit: PulseV1.Timeframe.Unit) throws {
        let timeframe = try #require(PulseV1.Timeframe(text: text))
        #expect(timeframe == PulseV1.Timeframe(multiple, unit))
        #expect(timeframe.description == text)
    }

    @Test("malformed timeframes are rejected", arguments: ["", "m", "0m", "5", "5x", "-1m", "1 m", "1M"])
    func timeframeInvalid(text: String) {
        #expect(PulseV1.Timeframe(text: text) == nil)
    }

    @Test("indicator specs print as the CLI's text form")
    func indicatorSpecText() {
        #expect(PulseV1.IndicatorSpec(function: "bbands", parameters: [20, 2, 2]).description == "bbands:20,2,2")
        #expect(PulseV1.IndicatorSpec(function: "sar", parameters: [0.02, 0.2]).description == "sar:0.02,0.2")
        #expect(PulseV1.IndicatorSpec(function: "obv").description == "obv")
    }

    @Test("a large bar series round-trips through one packed block per column")
    func largeSeries() throws {
        var series = PulseV1.BarSeries()
        let count = 100_000
        series.timeMs = (0..<count).map { 1_700_000_000_000 + Int64($0) * 60_000 }
        series.close = (0..<count).map { 100 + Double($0).squareRoot() }
        series.open = series.close
        series.high = series.close.map { $0 + 1 }
        series.low = series.close.map { $0 - 1 }
        series.volume = Array(repeating: 1e6, count: count)
        let bytes = series.serializedBytes()
        // Each column: a 1-byte key, a 3-byte length, then 8 bytes per double or a 6-byte varint per time.
        #expect(bytes.count == 5 * (1 + 3 + count * 8) + (1 + 3 + count * 6))
        let decoded = try PulseV1.BarSeries(serializedBytes: bytes)
        #expect(decoded == series)
        #expect(decoded.isRectangular)
    }
}
