import PulseProtocol

/// The Swift side of Protocol/vectors/vectors.json: the same values, built with PulseProtocol's types.
enum GoldenVectors {
    static var all: [GoldenVector] { health + diagnostics + marketData + quotes + quotesRead + indicators + backtests }

    static let health: [GoldenVector] = [
        GoldenVector("HealthCheckRequest", HealthCheckRequest(service: "pulse.v1.Quotes")),
        GoldenVector("HealthCheckRequest.empty", HealthCheckRequest()),
        GoldenVector("HealthCheckResponse", HealthCheckResponse(status: .serving)),
        GoldenVector("HealthCheckResponse.serviceUnknown", HealthCheckResponse(status: .serviceUnknown)),
    ]

    static let diagnostics: [GoldenVector] = [
        GoldenVector(
            "EchoRequest", EchoRequest(payload: [0, 1, 2, 3, 0xFE, 0xFF], delayMs: 250, useComputePool: true)),
        GoldenVector("EchoRequest.fail", EchoRequest(failCode: 5, failMessage: "no such symbol: ÅPL 100% ✓")),
        GoldenVector("EchoRequest.negative", EchoRequest(failCode: -1)),
        GoldenVector("EchoResponse", EchoResponse(payload: Array("hello, world".utf8))),
        GoldenVector("StreamRequest", StreamRequest(count: 10_000, payloadSize: 64, intervalMs: UInt32.max)),
        GoldenVector("StreamItem", StreamItem(index: UInt64.max, payload: [0xFF])),
    ]

    static let marketData: [GoldenVector] = [
        GoldenVector("Timeframe", PulseV1.Timeframe(5, .minute)),
        GoldenVector(
            "Bar",
            PulseV1.Bar(timeMs: 1_700_000_000_000, open: 187.25, high: 189.5, low: -0.0, close: 188.125, volume: 1.5e7)),
        GoldenVector(
            "Bar.beforeEpoch",
            PulseV1.Bar(
                timeMs: -86_400_000, open: 1e-300, high: .infinity, low: -.infinity, close: .leastNonzeroMagnitude,
                volume: 0)),
        GoldenVector("BarSeries", goog),
        GoldenVector("Quote", quote),
        GoldenVector(
            "Tick",
            {
                var tick = PulseV1.Tick(
                    symbol: "MSFT", sequence: 9_007_199_254_740_993, timeMs: 1_732_521_600_456, price: 415.5, size: 100)
                tick.bid = 415.49
                tick.ask = 415.51
                tick.ingestTimeUs = 1_732_521_600_457_123
                return tick
            }()),
        GoldenVector(
            "Tick.conflated",
            {
                var tick = PulseV1.Tick(symbol: "MSFT", sequence: 42, timeMs: 1_732_521_600_999, price: 415.75)
                tick.conflated = 17
                return tick
            }()),
        GoldenVector(
            "Tick.conflatedFold",
            {
                var tick = PulseV1.Tick(
                    symbol: "AAPL", sequence: 120, timeMs: 1_732_521_601_000, price: 230.25, size: 50)
                tick.conflated = 4
                tick.ingestTimeUs = 1_732_521_601_000_500
                tick.conflatedSize = 700.5
                tick.conflatedHigh = 231
                tick.conflatedLow = 229.75
                return tick
            }()),
    ]

    static let goog: PulseV1.BarSeries = {
        var series = PulseV1.BarSeries()
        series.symbol = "GOOG"
        series.timeframe = PulseV1.Timeframe(1, .day)
        series.timeMs = [
            1_104_537_600_000, 1_104_710_400_000, 1_104_796_800_000, 1_104_883_200_000, 1_104_969_600_000,
            1_105_056_000_000, 1_105_315_200_000, 1_105_401_600_000, 1_105_488_000_000, 1_105_574_400_000,
            1_105_660_800_000, 1_105_920_000_000, 1_106_006_400_000, 1_106_092_800_000, 1_106_179_200_000,
            1_106_265_600_000, 1_106_524_800_000,
        ]
        series.open = [
            197.4, 194.9, 193.0, 195.5, 194.3, 190.6, 192.2, 194.8, 196.7, 193.9, 191.6, 194.2, 197.3, 199.1, 196.5,
            193.7, 195.8,
        ]
        series.high = [
            199.4, 196.1, 195.2, 196.6, 195.1, 193.4, 194.9, 197.3, 198.0, 196.1, 194.6, 197.9, 199.5, 200.3, 198.6,
            196.0, 197.7,
        ]
        series.low = [
            192.4, 190.2, 191.0, 192.8, 189.6, 188.9, 190.1, 193.2, 192.1, 190.5, 189.2, 192.7, 195.2, 195.9, 192.8,
            190.4, 193.3,
        ]
        series.close = [
            195.3, 192.5, 194.1, 194.0, 191.2, 192.7, 193.9, 196.8, 193.2, 191.9, 193.6, 197.0, 198.2, 196.3, 194.1,
            195.4, 196.9,
        ]
        series.volume = [
            15_321_000, 12_873_000, 9_012_000, 10_545_000, 13_678_000, 11_200_000, 8_733_000, 9_922_000, 10_120_000,
            12_877_000, 11_098_000, 10_200_000, 9_900_000, 10_450_000, 12_300_000, 13_100_000, 9_800_000,
        ]
        return series
    }()

    static let quote: PulseV1.Quote = {
        var quote = PulseV1.Quote()
        quote.symbol = "AAPL"
        quote.timeMs = 1_732_521_600_123
        quote.price = 229.87
        quote.bid = 229.86
        quote.ask = 229.88
        quote.bidSize = 300
        quote.askSize = 200
        quote.open = 228.06
        quote.high = 230.72
        quote.low = 228.0
        quote.volume = 42_091_234
        quote.previousClose = 229.0
        quote.change = 0.87
        quote.changePercent = 0.379912663755459
        quote.sequence = 123_456_789_012
        return quote
    }()
}
