import PulseProtocol

extension GoldenVectors {
    static let quotes: [GoldenVector] = [
        GoldenVector("GetQuoteRequest", PulseV1.GetQuoteRequest(symbol: "AAPL")),
        GoldenVector(
            "ListSymbolsRequest",
            {
                var request = PulseV1.ListSymbolsRequest()
                request.prefix = "A"
                request.limit = 50
                return request
            }()),
        GoldenVector(
            "SymbolInfo",
            {
                var info = PulseV1.SymbolInfo()
                info.symbol = "GOOG"
                info.name = "Alphabet Inc."
                info.exchange = "NASDAQ"
                info.currency = "USD"
                info.source = .csv
                info.firstTimeMs = 1_092_873_600_000
                info.lastTimeMs = 1_367_280_000_000
                info.barCount = 2148
                return info
            }()),
        GoldenVector(
            "ListSymbolsResponse",
            {
                var aapl = PulseV1.SymbolInfo()
                aapl.symbol = "AAPL"
                aapl.source = .alphaVantage
                aapl.barCount = 5000
                var sim = PulseV1.SymbolInfo()
                sim.symbol = "SIM1"
                sim.source = .simulated
                return PulseV1.ListSymbolsResponse(symbols: [aapl, sim, PulseV1.SymbolInfo()])
            }()),
        GoldenVector(
            "GetBarsRequest",
            {
                var request = PulseV1.GetBarsRequest()
                request.symbol = "GOOG"
                request.timeframe = PulseV1.Timeframe(4, .hour)
                request.startTimeMs = 1_104_537_600_000
                request.endTimeMs = 1_367_280_000_000
                request.limit = 500
                return request
            }()),
        GoldenVector(
            "LoadSymbolRequest",
            {
                var request = PulseV1.LoadSymbolRequest()
                request.symbol = "TEST"
                request.source = .csv
                request.timeframe = PulseV1.Timeframe(0, .day)
                request.endTimeMs = 1_700_000_000_000
                request.csv = Array("timestamp,open,high,low,close,volume\n2024-01-02,1,2,0.5,1.5,100\n".utf8)
                return request
            }()),
        GoldenVector(
            "LoadSymbolResponse",
            {
                var response = PulseV1.LoadSymbolResponse()
                response.symbol = "TEST"
                response.barsLoaded = 1
                response.firstTimeMs = 1_704_153_600_000
                response.lastTimeMs = 1_704_153_600_000
                return response
            }()),
        GoldenVector(
            "LoadSymbolResponse.job",
            {
                var job = PulseV1.LoadJob()
                job.id = "IBM/1min/2024-01/2024-04"
                job.state = .paused
                job.unitsTotal = 4
                job.unitsDone = 2
                job.barsStored = 40320
                job.resumeAfterTimeMs = 1_717_387_200_000
                job.message = "daily quota exhausted"
                var response = PulseV1.LoadSymbolResponse()
                response.symbol = "IBM"
                response.source = .alphaVantage
                response.job = job
                return response
            }()),
        GoldenVector(
            "LoadJob",
            {
                var job = PulseV1.LoadJob()
                job.id = "IBM/daily/full/full"
                job.state = .completed
                job.unitsTotal = 1
                job.unitsDone = 1
                job.barsStored = 6000
                return job
            }()),
        GoldenVector(
            "ScreenRequest",
            {
                var request = PulseV1.ScreenRequest()
                request.metric = .volumeSpike
                request.symbols = ["AAPL", "MSFT"]
                request.timeframe = PulseV1.Timeframe(1, .day)
                request.window = 20
                request.endTimeMs = 1_717_200_000_000
                request.limit = 10
                request.ascending = true
                request.minValue = 0
                request.maxValue = 5.5
                request.minPrice = 1
                request.minAverageVolume = 100_000
                return request
            }()),
        GoldenVector("ScreenRequest.empty", PulseV1.ScreenRequest()),
        GoldenVector(
            "ScreenRow",
            {
                var row = PulseV1.ScreenRow()
                row.symbol = "AAPL"
                row.value = 2.5
                row.timeMs = 1_717_113_600_000
                row.close = 191.25
                row.volume = 5_000_000
                row.averageVolume = 2_000_000
                row.windowReturn = -0.03125
                row.volatility = 0.25
                row.priorHigh = 199.5
                row.bars = 21
                return row
            }()),
        GoldenVector(
            "ScreenResponse",
            {
                var response = PulseV1.ScreenResponse()
                response.metric = .return
                response.window = 20
                var aapl = PulseV1.ScreenRow()
                aapl.symbol = "AAPL"
                aapl.value = 0.125
                var msft = PulseV1.ScreenRow()
                msft.symbol = "MSFT"
                msft.value = .nan
                response.rows = [aapl, msft]
                return response
            }()),
        GoldenVector("ResumePoint", PulseV1.ResumePoint(symbol: "AAPL", sequence: 1000)),
        GoldenVector(
            "SubscribeQuotesRequest",
            PulseV1.SubscribeQuotesRequest(
                symbols: ["AAPL", "MSFT", ""],
                resumeFrom: [
                    PulseV1.ResumePoint(symbol: "AAPL", sequence: 1000),
                    PulseV1.ResumePoint(symbol: "MSFT", sequence: 0),
                ])),
        GoldenVector(
            "SubscribeQuotesRequest.bars", PulseV1.SubscribeQuotesRequest(symbols: ["SPY"], includeBars: true)),
        GoldenVector("SequenceGap", PulseV1.SequenceGap(symbol: "AAPL", firstMissing: 1001, lastMissing: 1999)),
        GoldenVector(
            "QuoteEvent.tick",
            {
                var tick = PulseV1.Tick(symbol: "AAPL", sequence: 2000, timeMs: 1_732_521_600_000, price: 230.0)
                tick.conflated = 3
                tick.ingestTimeUs = -1
                return PulseV1.QuoteEvent(.tick(tick))
            }()),
        GoldenVector(
            "QuoteEvent.gap",
            PulseV1.QuoteEvent(.gap(PulseV1.SequenceGap(symbol: "AAPL", firstMissing: 1001, lastMissing: 1999)))),
        GoldenVector("QuoteEvent.emptyTick", PulseV1.QuoteEvent(.tick(PulseV1.Tick()))),
        GoldenVector(
            "QuoteEvent.bar",
            PulseV1.QuoteEvent(.bar(PulseV1.LiveBar(symbol: "AAPL", bar: liveBar, revision: 1, lastSequence: 2050)))),
        GoldenVector(
            "QuoteEvent.heartbeat",
            PulseV1.QuoteEvent(
                .heartbeat(PulseV1.Heartbeat(symbol: "MSFT", lastSequence: 77, serverTimeMs: 1_732_521_615_000)))),
        GoldenVector("LiveBar", PulseV1.LiveBar(symbol: "AAPL", bar: liveBar, lastSequence: 2049)),
        GoldenVector("Heartbeat", PulseV1.Heartbeat(symbol: "MSFT", lastSequence: 0, serverTimeMs: 1_732_521_615_000)),
    ]

    static let liveBar = PulseV1.Bar(
        timeMs: 1_732_521_600_000, open: 230, high: 230.5, low: 229.9, close: 230.2, volume: 12_000)

    static let indicators: [GoldenVector] = [
        GoldenVector("IndicatorSpec", PulseV1.IndicatorSpec(function: "bbands", parameters: [20, 2, 2])),
        GoldenVector(
            "ComputeIndicatorsRequest",
            {
                var request = PulseV1.ComputeIndicatorsRequest()
                request.symbol = "GOOG"
                request.timeframe = PulseV1.Timeframe(1, .day)
                request.startTimeMs = 1_104_537_600_000
                request.limit = 1000
                request.indicators = [
                    PulseV1.IndicatorSpec(function: "rsi", parameters: [14]),
                    PulseV1.IndicatorSpec(function: "macd", parameters: [12, 26, 9]),
                    PulseV1.IndicatorSpec(function: "obv"),
                ]
                request.includeBars = true
                return request
            }()),
        GoldenVector(
            "ComputeIndicatorsRequest.inlineBars",
            {
                var bars = PulseV1.BarSeries()
                bars.symbol = "X"
                bars.timeMs = [1, 2, 3]
                bars.open = [1, 2, 3]
                bars.high = [1.5, 2.5, 3.5]
                bars.low = [0.5, 1.5, 2.5]
                bars.close = [1.25, 2.25, 3.25]
                bars.volume = [10, 20, 30]
                var request = PulseV1.ComputeIndicatorsRequest()
                request.bars = bars
                request.indicators = [PulseV1.IndicatorSpec(function: "sma", parameters: [2])]
                return request
            }()),
        GoldenVector(
            "IndicatorOutput",
            PulseV1.IndicatorOutput(name: "rsi_14", values: [.nan, .nan, .nan, 55.5, 61.25, 100, 0, -0.0])),
        GoldenVector(
            "IndicatorSeries",
            PulseV1.IndicatorSeries(
                spec: PulseV1.IndicatorSpec(function: "bbands", parameters: [20, 2, 2]), lookback: 19,
                outputs: [
                    PulseV1.IndicatorOutput(name: "bbands_20_2_2_upperband", values: [.nan, 101.5]),
                    PulseV1.IndicatorOutput(name: "bbands_20_2_2_middleband", values: [.nan, 100.0]),
                    PulseV1.IndicatorOutput(name: "bbands_20_2_2_lowerband", values: [.nan, 98.5]),
                ])),
        GoldenVector(
            "ComputeIndicatorsResponse",
            {
                let times: [Int64] = [1_700_000_000_000, 1_700_000_060_000, 1_700_000_120_000]
                var response = PulseV1.ComputeIndicatorsResponse()
                response.symbol = "X"
                response.timeframe = PulseV1.Timeframe(1, .minute)
                response.timeMs = times
                response.indicators = [
                    PulseV1.IndicatorSeries(
                        spec: PulseV1.IndicatorSpec(function: "sma", parameters: [2]), lookback: 1,
                        outputs: [PulseV1.IndicatorOutput(name: "sma_2", values: [.nan, 1.75, 2.75])])
                ]
                var bars = PulseV1.BarSeries()
                bars.symbol = "X"
                bars.timeMs = times
                bars.close = [1.25, 2.25, 3.25]
                response.bars = bars
                return response
            }()),
        GoldenVector(
            "SubscribeIndicatorsRequest",
            {
                var request = PulseV1.SubscribeIndicatorsRequest()
                request.symbol = "AAPL"
                request.timeframe = PulseV1.Timeframe(1, .minute)
                request.indicators = [
                    PulseV1.IndicatorSpec(function: "ema", parameters: [30]),
                    PulseV1.IndicatorSpec(function: "stoch", parameters: [5, 3, 0, 3, 0]),
                ]
                request.resumeFrom = 5000
                request.history = 100
                return request
            }()),
        GoldenVector(
            "IndicatorUpdate",
            {
                var update = PulseV1.IndicatorUpdate()
                update.symbol = "AAPL"
                update.timeframe = PulseV1.Timeframe(1, .minute)
                update.sequence = 5001
                update.timeMs = 1_732_521_660_000
                update.bar = PulseV1.Bar(
                    timeMs: 1_732_521_660_000, open: 230, high: 230.5, low: 229.9, close: 230.2, volume: 12000)
                update.values = [230.1, .nan, 80.5]
                update.columns = ["ema_30", "stoch_5_3_0_3_0_slowk", "stoch_5_3_0_3_0_slowd"]
                update.conflated = 2
                return update
            }()),
        GoldenVector(
            "IndicatorUpdate.gap",
            {
                var update = PulseV1.IndicatorUpdate()
                update.symbol = "AAPL"
                update.timeframe = PulseV1.Timeframe(1, .minute)
                update.sequence = 1999
                update.gap = PulseV1.SequenceGap(symbol: "AAPL", firstMissing: 1001, lastMissing: 1999)
                return update
            }()),
        GoldenVector(
            "IndicatorUpdate.revision",
            {
                var update = PulseV1.IndicatorUpdate()
                update.symbol = "AAPL"
                update.timeframe = PulseV1.Timeframe(1, .minute)
                update.sequence = 5003
                update.timeMs = 1_732_521_660_000
                update.bar = PulseV1.Bar(
                    timeMs: 1_732_521_660_000, open: 230, high: 231, low: 229.9, close: 230.2, volume: 12001)
                update.barClosed = true
                update.values = [230.2]
                update.revision = 2
                return update
            }()),
    ]
}
