/// The outcome of a run: what the JSON report holds and the text summary prints.
public struct LoadReport: Sendable {
    public var scenario: String  // "unary" or "subscribe"
    public var target: String
    public var method: String
    /// "closed" (concurrency) or "open" (rate).
    public var mode: String
    public var connections: Int
    public var concurrency: Int
    /// The asked rate schedule (open loop), as given.
    public var rate: String?
    /// Seconds of measurement (after warm-up).
    public var durationSeconds: Double
    /// Calls (or streams) that finished inside the measured window.
    public var requests: Int
    public var ok: Int
    public var errors: [(String, Int)]
    public var rps: Double
    public var latency: LatencySummary
    /// Open loop: latency from the actual send time, which hides coordinated omission.
    public var uncorrected: LatencySummary?
    /// True when the run ended early (server gone, unreachable); the figures cover what was measured.
    public var partial: Bool
    public var abortReason: String?
    /// Streams (subscribe) only.
    public var stream: StreamFigures?
    /// A mix of several methods: the figures of each.
    public var methods: [MethodFigures]?
    /// Open loop: the mean rate the schedule asked for over the measured time.
    public var askedRate: Double? = nil

    /// One method's share of a mix.
    public struct MethodFigures: Sendable {
        public var method: String
        public var weight: Int
        public var requests: Int
        public var ok: Int
        public var errors: [(String, Int)]
        public var rps: Double
        public var latency: LatencySummary
    }

    /// Per-message figures of a subscription run.
    public struct StreamFigures: Sendable {
        public var streams: Int
        public var messages: Int
        public var messagesPerSecond: Double
        /// Ticks missing by sequence number (not explained by `conflated`).
        public var missing: Int
        public var conflated: Int
        public var outOfOrder: Int
        /// Ticks the server itself announced as lost (`QuoteEvent.gap`).
        public var announcedMissing: Int
        /// Messages whose timestamp lay in the future of this machine's clock (counted as 0 ms).
        public var clockSkewed: Int
        /// The Tick field latency is measured from.
        public var timeField: String
    }

    public var errorCount: Int { errors.reduce(0) { $0 + $1.1 } }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("scenario", .string(scenario)), ("target", .string(target)), ("method", .string(method)),
            ("mode", .string(mode)), ("connections", .integer(connections)), ("concurrency", .integer(concurrency)),
        ]
        if let rate { members.append(("rate", .string(rate))) }
        if let askedRate { members.append(("asked_rps", .rounded(askedRate, places: 1))) }
        members += [
            ("duration_s", .rounded(durationSeconds, places: 3)), ("requests", .integer(requests)),
            ("ok", .integer(ok)), ("rps", .rounded(rps, places: 1)),
            ("errors", .object(errors.map { ($0.0, .integer($0.1)) })),
        ]
        var latencyJSON = latency.json
        if let uncorrected, case .object(var latencyMembers) = latencyJSON {
            latencyMembers.append(("uncorrected", uncorrected.json))
            latencyJSON = .object(latencyMembers)
        }
        members.append(("latency_ms", latencyJSON))
        if let stream {
            members.append(
                (
                    "stream",
                    .object([
                        ("streams", .integer(stream.streams)), ("messages", .integer(stream.messages)),
                        ("messages_per_s", .rounded(stream.messagesPerSecond, places: 1)),
                        ("missing", .integer(stream.missing)), ("conflated", .integer(stream.conflated)),
                        ("out_of_order", .integer(stream.outOfOrder)),
                        ("announced_missing", .integer(stream.announcedMissing)),
                        ("clock_skewed", .integer(stream.clockSkewed)), ("time_field", .string(stream.timeField)),
                    ])
                ))
        }
        if let methods {
            members.append(
                (
                    "methods",
                    .array(
                        methods.map { figures in
                            .object([
                                ("method", .string(figures.method)), ("weight", .integer(figures.weight)),
                                ("requests", .integer(figures.requests)), ("ok", .integer(figures.ok)),
                                ("rps", .rounded(figures.rps, places: 1)),
                                ("errors", .object(figures.errors.map { ($0.0, .integer($0.1)) })),
                                ("latency_ms", figures.latency.json),
                            ])
                        })
                ))
        }
        members.append(("partial", .bool(partial)))
        if let abortReason { members.append(("abort_reason", .string(abortReason))) }
        return .object(members)
    }

    /// The end-of-run summary for people.
    public var text: String {
        var lines: [String] = []
        let what = scenario == "subscribe" ? "streams" : "requests"
        let connectionText = connections == 1 ? "1 connection" : "\(connections) connections"
        if stream != nil {
            lines.append("\(scenario) \(method) on \(target): \(concurrency) streams over \(connectionText)")
        } else {
            lines.append(
                "\(scenario) \(method) on \(target): \(mode) loop, \(connectionText), "
                    + (mode == "open"
                        ? "rate \(rate ?? "?"), up to \(concurrency) in flight" : "concurrency \(concurrency)"))
        }
        if partial { lines.append("PARTIAL: \(abortReason ?? "the run ended early")") }
        lines.append(
            "\(what): \(formatCount(requests)) in \(formatFixed(durationSeconds, places: 2)) s, "
                + "\(formatCount(ok)) OK, \(formatCount(errorCount)) failed")
        if let stream {
            lines.append(
                "messages: \(formatCount(stream.messages)) (\(formatFixed(stream.messagesPerSecond, places: 1))/s) over "
                    + "\(stream.streams) streams; missing \(stream.missing), conflated \(stream.conflated), "
                    + "out of order \(stream.outOfOrder), announced gaps \(stream.announcedMissing)")
        } else {
            lines.append("throughput: \(formatFixed(rps, places: 1)) requests/s")
            if let askedRate, rps < askedRate * 0.99 {
                lines.append(
                    "WARNING: the asked rate was not reached (\(formatFixed(askedRate, places: 1))/s asked): the calls "
                        + "in flight hit --concurrency, or the harness or server is saturated; latency counts the backlog"
                )
            }
        }
        if !errors.isEmpty {
            lines.append("errors: " + errors.map { "\($0.0) \(formatCount($0.1))" }.joined(separator: ", "))
        }
        let header =
            stream.map { "latency (from tick \($0.timeField))" }
            ?? (uncorrected == nil ? "latency" : "latency (from intended send time)")
        lines.append(header + ":")
        lines.append(Self.latencyLine(latency))
        if let uncorrected {
            lines.append("latency uncorrected (from actual send time):")
            lines.append(Self.latencyLine(uncorrected))
        }
        for figures in methods ?? [] {
            let failed = figures.errors.reduce(0) { $0 + $1.1 }
            lines.append(
                "\(figures.method) (weight \(figures.weight)): \(formatCount(figures.requests)) calls, "
                    + "\(formatFixed(figures.rps, places: 1))/s, \(formatCount(failed)) failed")
            lines.append(Self.latencyLine(figures.latency))
        }
        return lines.joined(separator: "\n")
    }

    static func latencyLine(_ summary: LatencySummary) -> String {
        "  "
            + LatencySummary.keys.prefix(6).map { "\($0.label) \(formatMilliseconds(summary[keyPath: $0.value]))" }
            .joined(separator: "  ")
    }
}
