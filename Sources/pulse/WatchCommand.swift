import ArgumentParser
import Foundation
import PulseClient
import PulseProtocol

/// `pulse watch SYMBOL…`: live ticks from a server, one line each, with gaps, heartbeats, staleness and
/// reconnects shown; it reconnects and resumes by itself until interrupted.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print live ticks for symbols, one line per tick (gaps and staleness shown).",
        discussion: """
            Lines: `TIME SYMBOL #SEQUENCE PRICE xSIZE bid BID ask ASK [+N conflated] [latency MS]`, \
            `GAP SYMBOL #FIRST-#LAST` for ticks that can no longer be delivered, `STALE SYMBOL quiet for S s` when \
            neither a tick nor a heartbeat arrived for --stale-after seconds, `RECONNECT …` and `RESUMED …` around \
            a lost connection (each symbol resumes after its last sequence). --bars adds `BAR` lines for each closed \
            (or revised) 1-minute bar; --heartbeats shows heartbeats.
            """)

    @Argument(help: "Symbols to watch, e.g. AAPL MSFT.")
    var symbols: [String]
    @Option(help: "The server as HOST:PORT (default 127.0.0.1:50051; env PULSE_SERVER).")
    var server: String?
    @Option(help: "Seconds without a tick or heartbeat before a symbol is reported stale (default 35).")
    var staleAfter: Double = 35
    @Flag(help: "Also print closed 1-minute bars.")
    var bars = false
    @Flag(help: "Also print heartbeats.")
    var heartbeats = false
    @Option(help: "Stop after this many ticks (default: run until interrupted).")
    var count: Int?

    func run() async throws {
        guard !symbols.isEmpty else { throw UsageError("watch: name at least one symbol") }
        guard staleAfter > 0, staleAfter.isFinite else { throw UsageError("--stale-after: a positive number") }
        let (host, port) = try Self.parseServer(server ?? ProcessInfo.processInfo.environment["PULSE_SERVER"])
        var options = LiveQuotes.Options()
        options.staleAfter = .milliseconds(Int64(staleAfter * 1000))
        options.includeBars = bars
        let client = try PulseClient(host: host, port: port)
        var ticks = 0
        for try await event in client.liveQuotes(symbols, options: options) {
            if let line = Self.line(for: event, heartbeats: heartbeats) {
                print(line)
                fflush(nil)
            }
            if case .tick = event {
                ticks += 1
                if let count, ticks >= count { break }
            }
        }
    }

    static func line(for event: LiveQuotes.Event, heartbeats: Bool) -> String? {
        switch event {
        case .tick(let tick):
            var line = "\(time(tick.timeMs)) \(tick.symbol) #\(tick.sequence) \(tick.price) x\(tick.size)"
            line += " bid \(tick.bid) ask \(tick.ask)"
            if tick.conflated > 0 { line += " [+\(tick.conflated) conflated]" }
            if tick.ingestTimeUs > 0 {
                let latency = (Date().timeIntervalSince1970 * 1e6 - Double(tick.ingestTimeUs)) / 1000
                line += " latency \(String(format: "%.2f", latency)) ms"
            }
            return line
        case .gap(let gap):
            return "GAP \(gap.symbol) #\(gap.firstMissing)-#\(gap.lastMissing) (no longer retained)"
        case .bar(let live):
            let b = live.bar
            let revised = live.revision > 0 ? " revision \(live.revision)" : ""
            return
                "BAR \(live.symbol) \(time(b.timeMs)) O \(b.open) H \(b.high) L \(b.low) C \(b.close) V \(b.volume)\(revised)"
        case .heartbeat(let beat):
            return heartbeats ? "HEARTBEAT \(beat.symbol) last #\(beat.lastSequence)" : nil
        case .stale(let symbol, let quiet):
            return "STALE \(symbol) quiet for \(quiet.components.seconds) s"
        case .reconnecting(let attempt, let delay, let error):
            let ms = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
            return "RECONNECT attempt \(attempt) in \(ms) ms: \(error)"
        case .resubscribed(let resume):
            let points = resume.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" }.joined(separator: " ")
            return "RESUMED \(points.isEmpty ? "live" : points)"
        }
    }

    /// `HH:MM:SS.mmm` in UTC.
    static func time(_ ms: Int64) -> String {
        let day = ((ms % 86_400_000) + 86_400_000) % 86_400_000
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let millis = day % 1000
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(two(day / 3_600_000)):\(two(day / 60_000 % 60)):\(two(day / 1000 % 60)).\(fraction)"
    }

    /// `HOST:PORT` as `--server` takes it.
    static func parseServer(_ text: String?) throws -> (String, Int) {
        guard let text else { return ("127.0.0.1", 50051) }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port), colon != text.startIndex
        else { throw UsageError("--server: '\(text)' is not HOST:PORT") }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}
