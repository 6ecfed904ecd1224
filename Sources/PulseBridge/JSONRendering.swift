import PulseAnalytics
import PulseMarketData
import PulseProtocol

/// The REST bodies: snake_case names, times as RFC 3339 UTC (`2025-08-12T14:35:00Z`, milliseconds only when
/// present), absent values as null rather than a zero that would read as a price.
public enum JSONRendering {
    /// RFC 3339 UTC text of epoch milliseconds.
    public static func time(_ ms: Int64) -> String {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let millis = Int(ms - seconds * 1000)
        let text = TimestampParser.iso8601(seconds)
        guard millis != 0 else { return text }
        let digits = String(millis)
        return text.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    static func timeOrNull(_ ms: Int64) -> JSONValue { ms == 0 ? .null : .string(time(ms)) }
    static func priceOrNull(_ value: Double) -> JSONValue { value == 0 ? .null : .number(value) }
    static func member(_ name: String, _ value: JSONValue) -> JSONMember { JSONMember(name: name, value: value) }

    public static func quote(_ quote: PulseV1.Quote) -> JSONValue {
        .object([
            member("symbol", .string(quote.symbol)),
            member("price", .number(quote.price)),
            member("timestamp", .string(time(quote.timeMs))),
            member("bid", priceOrNull(quote.bid)),
            member("ask", priceOrNull(quote.ask)),
            member("open", .number(quote.open)),
            member("high", .number(quote.high)),
            member("low", .number(quote.low)),
            member("volume", .number(quote.volume)),
            member("previous_close", priceOrNull(quote.previousClose)),
            member("change", .number(quote.change)),
            member("change_percent", .number(quote.changePercent)),
            member("sequence", .number(Double(quote.sequence))),
        ])
    }

    public static func bars(_ series: PulseV1.BarSeries) -> JSONValue {
        let bars: [JSONValue] = series.timeMs.indices.map { i in
            .object([
                member("timestamp", .string(time(series.timeMs[i]))),
                member("open", .number(series.open[i])),
                member("high", .number(series.high[i])),
                member("low", .number(series.low[i])),
                member("close", .number(series.close[i])),
                member("volume", .number(series.volume[i])),
            ])
        }
        return .object([
            member("symbol", .string(series.symbol)),
            member("timeframe", series.timeframe.map { .string($0.text) } ?? .null),
            member("bars", .array(bars)),
            member("next_page_token", series.nextPageToken.isEmpty ? .null : .string(series.nextPageToken)),
        ])
    }

    /// `GET /prices`: the original API's recent prices, one close per bar.
    public static func prices(_ series: PulseV1.BarSeries) -> JSONValue {
        let prices: [JSONValue] = series.timeMs.indices.map { i in
            .object([
                member("symbol", .string(series.symbol)),
                member("price", .number(series.close[i])),
                member("timestamp", .string(time(series.timeMs[i]))),
                member("volume", .number(series.volume[i])),
            ])
        }
        return .object([member("symbol", .string(series.symbol)), member("prices", .array(prices))])
    }

    public static func symbol(_ info: PulseV1.SymbolInfo) -> JSONValue {
        .object([
            member("symbol", .string(info.symbol)),
            member("name", .string(info.name)),
            member("exchange", .string(info.exchange)),
            member("currency", .string(info.currency)),
            member("first", timeOrNull(info.firstTimeMs)),
            member("last", timeOrNull(info.lastTimeMs)),
            member("bars", .number(Double(info.barCount))),
        ])
    }

    public static func clock(_ clock: PulseV1.MarketClock) -> JSONValue {
        .object([
            member("timestamp", .string(time(clock.timeMs))),
            member("is_open", .bool(clock.isOpen)),
            member("is_extended_hours", .bool(clock.isExtendedHours)),
            member("next_open", timeOrNull(clock.nextOpenTimeMs)),
            member("next_close", timeOrNull(clock.nextCloseTimeMs)),
        ])
    }

    public static func loaded(_ response: PulseV1.LoadSymbolResponse) -> JSONValue {
        var members = [
            member("symbol", .string(response.symbol)),
            member("bars_loaded", .number(Double(response.barsLoaded))),
            member("first", timeOrNull(response.firstTimeMs)),
            member("last", timeOrNull(response.lastTimeMs)),
        ]
        if let job = response.job {
            let state: String
            switch job.state {
            case .running: state = "running"
            case .paused: state = "paused"
            case .completed: state = "completed"
            case .failed: state = "failed"
            default: state = "unspecified"
            }
            members.append(
                member(
                    "job",
                    .object([
                        member("id", .string(job.id)),
                        member("state", .string(state)),
                        member("units_total", .number(Double(job.unitsTotal))),
                        member("units_done", .number(Double(job.unitsDone))),
                        member("bars_stored", .number(Double(job.barsStored))),
                        member("message", .string(job.message)),
                    ])))
        } else {
            members.append(member("job", .null))
        }
        return .object(members)
    }

    public static func screen(_ response: PulseV1.ScreenResponse) -> JSONValue {
        let rows: [JSONValue] = response.rows.map { row in
            .object([
                member("symbol", .string(row.symbol)),
                member("value", .number(row.value)),
                member("timestamp", .string(time(row.timeMs))),
                member("close", .number(row.close)),
                member("volume", .number(row.volume)),
                member("average_volume", .number(row.averageVolume)),
                member("window_return", .number(row.windowReturn)),
                member("volatility", .number(row.volatility)),
                member("bars", .number(Double(row.bars))),
            ])
        }
        return .object([member("window", .number(Double(response.window))), member("rows", .array(rows))])
    }

    /// `GET /indicators`: one timestamp per bar and, per indicator, its outputs by column name aligned with them
    /// (null during the lookback, where TA-Lib has no value).
    public static func indicators(_ response: PulseV1.ComputeIndicatorsResponse) -> JSONValue {
        let series: [JSONValue] = response.indicators.map { series in
            .object([
                member("function", .string(series.spec?.function ?? "")),
                member("parameters", .array((series.spec?.parameters ?? []).map(JSONValue.number))),
                member("lookback", .number(Double(series.lookback))),
                member(
                    "outputs",
                    .object(
                        series.outputs.map { output in
                            member(output.name, .array(output.values.map { $0.isFinite ? .number($0) : .null }))
                        })),
            ])
        }
        var members = [
            member("symbol", .string(response.symbol)),
            member("timeframe", response.timeframe.map { .string($0.text) } ?? .null),
            member("timestamps", .array(response.timeMs.map { .string(time($0)) })),
            member("indicators", .array(series)),
        ]
        if let bars = response.bars { members.append(member("bars", self.bars(bars)["bars"] ?? .array([]))) }
        members.append(
            member("next_page_token", response.nextPageToken.isEmpty ? .null : .string(response.nextPageToken)))
        return .object(members)
    }
}
