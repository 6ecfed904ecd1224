import PulseProtocol

extension GoldenVectors {
    /// Quotes' read side: paged and adjusted bars, several quotes at once, the clock and the calendar.
    static let quotesRead: [GoldenVector] = [
        GoldenVector(
            "GetBarsRequest.paged",
            {
                var request = PulseV1.GetBarsRequest()
                request.symbol = "AAPL"
                request.timeframe = PulseV1.Timeframe(15, .minute)
                request.startTimeMs = 1_704_067_200_000
                request.endTimeMs = 1_735_689_600_000
                request.adjustment = .all
                request.pageToken = "djEuQUFQTC4xNW0"
                request.pageSize = 5000
                return request
            }()),
        GoldenVector(
            "BarSeries.nextPage",
            {
                var series = PulseV1.BarSeries()
                series.symbol = "AAPL"
                series.timeframe = PulseV1.Timeframe(1, .hour)
                series.timeMs = [1_704_205_800_000]
                series.open = [187.15]
                series.high = [188.44]
                series.low = [183.89]
                series.close = [185.64]
                series.volume = [82_488_700]
                series.nextPageToken = "djEuQUFQTC4xaA"
                return series
            }()),
        GoldenVector("GetQuotesRequest", PulseV1.GetQuotesRequest(symbols: ["AAPL", "MSFT", "NOPE"])),
        GoldenVector(
            "GetQuotesResponse",
            {
                var quote = PulseV1.Quote()
                quote.symbol = "AAPL"
                quote.timeMs = 1_732_521_600_123
                quote.price = 229.87
                quote.sequence = 42
                var response = PulseV1.GetQuotesResponse()
                response.quotes = [quote]
                response.notFound = ["NOPE"]
                return response
            }()),
        GoldenVector("GetClockRequest", PulseV1.GetClockRequest()),
        GoldenVector(
            "MarketClock",
            {
                var clock = PulseV1.MarketClock()
                clock.timeMs = 1_732_545_000_000
                clock.isOpen = true
                clock.nextOpenTimeMs = 1_732_631_400_000
                clock.nextCloseTimeMs = 1_732_568_400_000
                return clock
            }()),
        GoldenVector(
            "MarketClock.extendedHours",
            {
                var clock = PulseV1.MarketClock()
                clock.timeMs = 1_732_532_400_000
                clock.isExtendedHours = true
                clock.nextOpenTimeMs = 1_732_545_000_000
                clock.nextCloseTimeMs = 1_732_568_400_000
                return clock
            }()),
        GoldenVector(
            "GetSessionsRequest",
            PulseV1.GetSessionsRequest(startTimeMs: 1_732_406_400_000, endTimeMs: 1_733_011_200_000)),
        GoldenVector("MarketSession", halfDay),
        GoldenVector(
            "ComputeIndicatorsRequest.paged",
            {
                var request = PulseV1.ComputeIndicatorsRequest()
                request.symbol = "AAPL"
                request.timeframe = PulseV1.Timeframe(1, .minute)
                request.startTimeMs = 1_704_067_200_000
                request.indicators = [PulseV1.IndicatorSpec(function: "rsi", parameters: [14])]
                request.pageToken = "djF8QUFQTA"
                request.pageSize = 2000
                return request
            }()),
        GoldenVector(
            "ComputeIndicatorsResponse.nextPage",
            {
                var response = PulseV1.ComputeIndicatorsResponse()
                response.symbol = "AAPL"
                response.timeMs = [1_704_205_800_000]
                response.indicators = [
                    PulseV1.IndicatorSeries(
                        spec: PulseV1.IndicatorSpec(function: "rsi", parameters: [14]), lookback: 0,
                        outputs: [PulseV1.IndicatorOutput(name: "rsi_14", values: [55.5])])
                ]
                response.nextPageToken = "djF8QUFQTA"
                return response
            }()),
        GoldenVector(
            "GetSessionsResponse",
            {
                var session = PulseV1.MarketSession()
                session.date = "2024-11-27"
                session.openTimeMs = 1_732_717_800_000
                session.closeTimeMs = 1_732_741_200_000
                session.preMarketOpenTimeMs = 1_732_698_000_000
                session.afterHoursCloseTimeMs = 1_732_755_600_000
                var response = PulseV1.GetSessionsResponse()
                response.sessions = [session]
                return response
            }()),
    ]

    static let halfDay: PulseV1.MarketSession = {
        var session = PulseV1.MarketSession()
        session.date = "2024-11-29"
        session.openTimeMs = 1_732_890_600_000
        session.closeTimeMs = 1_732_903_200_000
        session.preMarketOpenTimeMs = 1_732_870_800_000
        session.afterHoursCloseTimeMs = 1_732_917_600_000
        session.earlyClose = true
        return session
    }()
}
