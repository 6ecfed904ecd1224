import PulseAnalytics
import PulseClient
import PulseProtocol
import PulseServer
import Testing

@Suite("Indicators.Compute over gRPC")
struct IndicatorsServiceTests {
    static func request(_ bars: PulseV1.BarSeries, _ specs: [(String, [Double])]) -> PulseV1.ComputeIndicatorsRequest {
        var request = PulseV1.ComputeIndicatorsRequest()
        request.bars = bars
        request.indicators = specs.map { PulseV1.IndicatorSpec(function: $0.0, parameters: $0.1) }
        return request
    }

    static func same(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
    }

    @Test("A hand-computed SMA, lookback, column names and echoed times")
    func handComputed() async throws {
        var bars = ServiceFixture.walk(count: 5)
        bars.close = [1, 2, 3, 4, 5]
        bars.open = bars.close
        bars.high = bars.close.map { $0 + 1 }
        bars.low = bars.close.map { $0 - 1 }
        let response = try await ServiceFixture.withClient { client in
            try await client.unary(PulseMethods.Indicators.compute, Self.request(bars, [("SMA", [2])]))
        }
        #expect(response.timeMs == bars.timeMs)
        #expect(response.symbol == "WALK")
        let series = try #require(response.indicators.first)
        #expect(series.lookback == 1)
        #expect(series.spec?.function == "SMA")
        #expect(series.outputs.map(\.name) == ["sma_2"])
        #expect(Self.same(series.outputs[0].values, [.nan, 1.5, 2.5, 3.5, 4.5]))
        #expect(response.bars == nil)
    }

    @Test("Outputs in request order equal the library's, inline and on the compute pool, newest-first reversed")
    func matchesLibrary() async throws {
        let specs: [(String, [Double])] = [("rsi", [14]), ("bbands", [20, 2, 2]), ("macd", []), ("t3", [8, 0.4])]
        for count in [300, 30_000] {
            let bars = ServiceFixture.walk(count: count, seed: UInt64(count))
            var reversed = bars
            reversed.timeMs.reverse()
            reversed.open.reverse()
            reversed.high.reverse()
            reversed.low.reverse()
            reversed.close.reverse()
            reversed.volume.reverse()
            var request = Self.request(reversed, specs)
            request.includeBars = true
            let response = try await ServiceFixture.withClient { client in
                try await client.unary(PulseMethods.Indicators.compute, request)
            }
            #expect(response.timeMs == bars.timeMs)
            #expect(response.bars?.close == bars.close)
            let library = ServiceFixture.analyticsBars(bars)
            #expect(response.indicators.count == specs.count)
            for ((function, parameters), series) in zip(specs, response.indicators) {
                let spec = try IndicatorRegistry.standard.spec(function: function, parameters: parameters)
                let expected = try spec.compute(library)
                #expect(series.outputs.map(\.name) == spec.columnNames)
                #expect(series.lookback == UInt32(spec.lookback))
                for (output, values) in zip(series.outputs, expected) {
                    #expect(Self.same(output.values, values), "\(output.name) over \(count) bars")
                }
            }
        }
    }

    @Test(
        "Bad requests are INVALID_ARGUMENT with a message naming the choices or the bar",
        arguments: [
            ("nosuch", [Double](), "valid indicators:"), ("rsi", [0], "rsi"), ("sma", [Double.nan], "not finite"),
        ])
    func badSpecs(function: String, parameters: [Double], needle: String) async throws {
        let error = await #expect(throws: RPCError.self) {
            try await ServiceFixture.withClient { client in
                try await client.unary(
                    PulseMethods.Indicators.compute,
                    Self.request(ServiceFixture.walk(count: 50), [(function, parameters)]))
            }
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains(needle) == true, "\(error?.message ?? "")")
    }

    @Test("A bar with high below low is refused naming it; no indicators is refused")
    func badBars() async throws {
        var bars = ServiceFixture.walk(count: 50)
        bars.high[6] = bars.low[6] - 1
        try await ServiceFixture.withClient { client in
            await #expect {
                _ = try await client.unary(PulseMethods.Indicators.compute, Self.request(bars, [("sma", [5])]))
            } throws: { error in
                let rpc = error as? RPCError
                return rpc?.code == .invalidArgument && rpc?.message.contains("bar 7 (time_ms") == true
            }
            await #expect {
                _ = try await client.unary(
                    PulseMethods.Indicators.compute, Self.request(ServiceFixture.walk(count: 5), []))
            } throws: { error in
                (error as? RPCError)?.message.contains("at least one indicator") == true
            }
        }
    }

    @Test("A stored symbol: UNAVAILABLE without a database, the BarSource's bars with one, its NOT_FOUND passed on")
    func storedSymbols() async throws {
        var request = PulseV1.ComputeIndicatorsRequest()
        request.symbol = "WALK"
        request.indicators = [PulseV1.IndicatorSpec(function: "sma", parameters: [3])]
        try await ServiceFixture.withClient { client in
            await #expect {
                _ = try await client.unary(PulseMethods.Indicators.compute, request)
            } throws: { error in
                (error as? RPCError) == RPCError(code: .unavailable, message: "no database configured")
            }
        }
        let bars = ServiceFixture.walk(count: 40)
        try await ServiceFixture.withClient(source: FixedBarSource(bars: ["WALK": bars])) { client in
            let response = try await client.unary(PulseMethods.Indicators.compute, request)
            #expect(response.timeMs == bars.timeMs)
            #expect(response.indicators.first?.outputs.first?.values.count == 40)
            // The typed call follows the pages: 7 bars a page, joined, equal to one computation over all 40 (to 1e-12).
            var paged = request
            paged.pageSize = 7
            paged.indicators.append(PulseV1.IndicatorSpec(function: "bbands", parameters: [5, 2, 2]))
            paged.includeBars = true
            let joined = try await client.indicators.compute(paged)
            let whole = try await client.indicators.compute(Self.request(bars, [("sma", [3]), ("bbands", [5, 2, 2])]))
            #expect(joined.timeMs == bars.timeMs && joined.nextPageToken.isEmpty)
            #expect(joined.bars?.close == bars.close)
            for (a, b) in zip(joined.indicators, whole.indicators) {
                #expect(a.outputs.count == b.outputs.count)
                // Running sums restarted at each page's warm-up: equal to the last bits, not bit for bit.
                for (x, y) in zip(a.outputs, b.outputs) {
                    let near = zip(x.values, y.values).allSatisfy { p, q in
                        (p.isNaN && q.isNaN) || abs(p - q) <= 1e-12 * abs(q)
                    }
                    #expect(x.values.count == y.values.count && near, "\(x.name)")
                }
            }
            let first = try await client.indicators.computePage(paged)
            #expect(first.timeMs.count == 7 && !first.nextPageToken.isEmpty)
            request.symbol = "NOPE"
            await #expect {
                _ = try await client.unary(PulseMethods.Indicators.compute, request)
            } throws: { error in
                (error as? RPCError)?.code == .notFound
            }
        }
    }
}
