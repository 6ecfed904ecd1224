import PulseAnalytics
import PulseProtocol
import PulseRPC
import PulseStore

/// GetBars: validation, one page of bars read through ``StoredBarReader``, and the page token that continues it.
struct BarPages: Sendable {
    let reader: StoredBarReader
    /// Bars per response at most (about 530 KB of columns, well under the 4 MiB message limit).
    static let pageSize = 10_000
    /// The largest `limit` (the last bars of a range are read at once before they are paged).
    static let maxLimit = 1_000_000

    func page(_ request: PulseV1.GetBarsRequest, context: ServerContext) async throws -> PulseV1.BarSeries {
        try SymbolRules.check(request.symbol)
        let timeframe = try StoredBarReader.timeframe(request.timeframe)
        if request.startTimeMs != 0, request.endTimeMs != 0, request.endTimeMs <= request.startTimeMs {
            throw GRPCStatus(
                .invalidArgument,
                "end_time_ms \(request.endTimeMs) is not after start_time_ms \(request.startTimeMs)")
        }
        guard request.limit <= Self.maxLimit else {
            throw GRPCStatus(.invalidArgument, "limit \(request.limit) is above the maximum \(Self.maxLimit)")
        }
        guard AdjustmentPlan(request.adjustment, stored: "raw") != nil else {
            throw GRPCStatus(
                .invalidArgument,
                "adjustment \(request.adjustment.rawValue) is unknown; use RAW, SPLIT, DIVIDEND or ALL")
        }
        let size = request.pageSize == 0 ? Self.pageSize : min(Int(request.pageSize), Self.pageSize)
        let binding = PageToken.binding(of: request)
        let cursor = try request.pageToken.isEmpty ? nil : PageToken(decoding: request.pageToken, binding: binding)
        var read = StoredBarReader.Request(
            symbol: request.symbol, timeframe: timeframe,
            start: request.startTimeMs == 0 ? nil : request.startTimeMs * 1000,
            end: request.endTimeMs == 0 ? nil : request.endTimeMs * 1000, limit: size + 1,
            adjustment: request.adjustment)
        var remaining: Int?
        if let cursor {
            read.start = cursor.nextStartMs * 1000
            remaining = cursor.remaining
            if let left = cursor.remaining { read.limit = min(left, size + 1) }
        } else if request.limit > 0 {
            read.limit = Int(request.limit)
            read.fromEnd = true
            remaining = Int(request.limit)
        }
        var bars = try await reader.read(read, context: context)
        var next: String?
        if bars.count > size {
            let nextStart = bars.timestamps[size] / 1000
            let left = remaining.map { $0 - size }
            next = PageToken(binding: binding, nextStartMs: nextStart, remaining: left).encoded
            bars = Self.prefix(bars, size)
        }
        var series = PulseV1.BarSeries()
        series.symbol = request.symbol
        series.timeframe = (request.timeframe ?? .oneDay).normalized
        series.timeMs = bars.timestamps.map { $0 / 1000 }
        series.open = bars.open
        series.high = bars.high
        series.low = bars.low
        series.close = bars.close
        series.volume = bars.volume
        series.nextPageToken = next ?? ""
        return series
    }

    static func prefix(_ bars: PulseStore.StoredBars, _ n: Int) -> PulseStore.StoredBars {
        PulseStore.StoredBars(
            timestamps: Array(bars.timestamps.prefix(n)), open: Array(bars.open.prefix(n)),
            high: Array(bars.high.prefix(n)), low: Array(bars.low.prefix(n)), close: Array(bars.close.prefix(n)),
            volume: Array(bars.volume.prefix(n)))
    }
}

/// Where the next page of a GetBars (or stored Compute) request starts, bound to the request it continues:
/// base64url of `v1|symbol|timeframe|start|end|limit|…|next start|remaining` (times in ms; remaining empty when the
/// request has no limit). A token that does not decode or belongs to another request is INVALID_ARGUMENT.
struct PageToken: Equatable {
    var nextStartMs: Int64
    var remaining: Int?
    private var binding: [String]

    init(binding: [String], nextStartMs: Int64, remaining: Int?) {
        self.nextStartMs = nextStartMs
        self.remaining = remaining
        self.binding = binding
    }

    /// - Parameter binding: what the request it continues must have (``binding(of:)``).
    init(decoding text: String, binding expected: [String]) throws(GRPCStatus) {
        let invalid = GRPCStatus(.invalidArgument, "page_token is not a token this server issued")
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        guard text.utf8.count <= 4096, let bytes = Base64.decode(base64),
            let plain = String(validating: bytes, as: UTF8.self)
        else { throw invalid }
        let fields = plain.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == expected.count + 2, let next = Int64(fields[fields.count - 2]) else { throw invalid }
        binding = Array(fields[0..<expected.count])
        guard binding == expected else {
            throw GRPCStatus(
                .invalidArgument,
                "page_token belongs to another request: send the same request as the one that returned it, "
                    + "with only page_token changed")
        }
        nextStartMs = next
        let left = fields[fields.count - 1]
        if left.isEmpty {
            remaining = nil
        } else {
            guard let count = Int(left), count > 0 else { throw invalid }
            remaining = count
        }
    }

    var encoded: String {
        let plain = (binding + [String(nextStartMs), remaining.map(String.init) ?? ""]).joined(separator: "|")
        return Base64.encode(Array(plain.utf8)).replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
    }

    static func binding(of request: PulseV1.GetBarsRequest) -> [String] {
        let timeframe = (request.timeframe ?? .oneDay).normalized
        return [
            "v1", request.symbol, "\(timeframe.multiple)\(timeframe.unit.rawValue)", String(request.startTimeMs),
            String(request.endTimeMs), String(request.limit), String(request.adjustment.rawValue),
        ]
    }

    /// A Compute request's binding: its symbol, timeframe, range, limit, specs and `include_bars` (the specs as
    /// a fingerprint of their encoding, so a token stays short).
    static func binding(of request: PulseV1.ComputeIndicatorsRequest) -> [String] {
        let timeframe = (request.timeframe ?? .oneDay).normalized
        let specs = request.indicators.flatMap { spec -> [UInt8] in
            let bytes = spec.serializedBytes()
            return [UInt8(truncatingIfNeeded: bytes.count), UInt8(truncatingIfNeeded: bytes.count >> 8)] + bytes
        }
        return [
            "v1c", request.symbol, "\(timeframe.multiple)\(timeframe.unit.rawValue)", String(request.startTimeMs),
            String(request.endTimeMs), String(request.limit), ComputeCache.fingerprint(specs),
            request.includeBars ? "1" : "0",
        ]
    }
}
