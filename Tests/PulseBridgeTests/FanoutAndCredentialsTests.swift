import PulseClient
import PulseMarketData
import PulseProtocol
import Synchronization
import Testing

@testable import PulseBridge

/// Records what the fan-out posts; optionally never returns (a socket that stopped reading) or answers gone.
private final class RecordingPoster: ConnectionPoster {
    enum Mode { case deliver, stall, gone }
    let mode: Mode
    let posted = Mutex<[(String, String)]>([])
    private let arrivals: AsyncStream<Void>.Continuation
    let arrived: AsyncStream<Void>

    init(_ mode: Mode) {
        self.mode = mode
        (arrived, arrivals) = AsyncStream.makeStream(of: Void.self)
    }

    func post(_ message: [UInt8], to connection: String) async -> PostOutcome {
        posted.withLock { $0.append((connection, String(decoding: message, as: UTF8.self))) }
        arrivals.yield()
        switch mode {
        case .deliver: return .delivered
        case .gone: return .gone
        case .stall:
            try? await Task.sleep(for: .seconds(3600))
            return .delivered
        }
    }

    /// Waits until `count` posts arrived (each arrival ends one wait; the test's time limit is the safety net).
    func waitFor(_ count: Int) async {
        var iterator = arrived.makeAsyncIterator()
        while posted.withLock({ $0.count }) < count { _ = await iterator.next() }
    }
}

@Suite("Tick fan-out outboxes, credentials and Retry-After", .timeLimit(.minutes(1)))
struct FanoutAndCredentialsTests {
    @Test("control frames go out in order, then heartbeats when quiet")
    func orderAndHeartbeat() async throws {
        let client = try PulseClient(host: "127.0.0.1", port: 9, connectTimeout: .seconds(2))
        let poster = RecordingPoster(.deliver)
        var settings = TickFanout.Settings()
        settings.heartbeatInterval = .milliseconds(50)
        let fanout = TickFanout(client: client, poster: poster, settings: settings)
        await fanout.open("c")
        await fanout.send([ServerMessage.acknowledgement(["A"]), ServerMessage.acknowledgement(["A", "B"])], to: "c")
        await poster.waitFor(3)
        let posted = poster.posted.withLock { $0 }
        #expect(posted[0] == ("c", #"{"type":"subscribed","symbols":["A"]}"#))
        #expect(posted[1] == ("c", #"{"type":"subscribed","symbols":["A","B"]}"#))
        #expect(posted[2].1.hasPrefix(#"{"type":"heartbeat","timestamp":""#))
        await fanout.close("c")
        #expect(await fanout.connectionCount == 0)
        await client.close()
    }

    @Test("a connection that stops reading is dropped past the control bound, not buffered")
    func overflow() async throws {
        let client = try PulseClient(host: "127.0.0.1", port: 9, connectTimeout: .seconds(2))
        let poster = RecordingPoster(.stall)
        var settings = TickFanout.Settings()
        settings.maxQueuedControl = 4
        let fanout = TickFanout(client: client, poster: poster, settings: settings)
        await fanout.open("slow")
        #expect(await fanout.send([ServerMessage.acknowledgement([])], to: "slow"))
        await poster.waitFor(1)  // the first is now in the post that never returns
        var accepted = 0
        for _ in 0..<10 where await fanout.send([ServerMessage.acknowledgement([])], to: "slow") { accepted += 1 }
        // Four may wait behind it; the fifth overflows and closes the connection.
        #expect(accepted == 4)
        #expect(await fanout.connectionCount == 0)
        await client.close()
    }

    @Test("a gone connection (410) is forgotten")
    func gone() async throws {
        let client = try PulseClient(host: "127.0.0.1", port: 9, connectTimeout: .seconds(2))
        let poster = RecordingPoster(.gone)
        let fanout = TickFanout(client: client, poster: poster)
        await fanout.open("g")
        await fanout.send([ServerMessage.acknowledgement([])], to: "g")
        await poster.waitFor(1)
        while await fanout.connectionCount > 0 { await Task.yield() }
        #expect(await fanout.send([ServerMessage.acknowledgement([])], to: "g") == false)
        await client.close()
    }

    @Test("ticks in the seed's shape: volume is what a conflated tick stands for; gaps and stale reports")
    func tickFrames() {
        var tick = PulseV1.Tick()
        tick.symbol = "AAPL"
        tick.sequence = 42
        tick.timeMs = 1_755_009_300_000
        tick.price = 215.32
        tick.size = 100
        var later = tick
        later.sequence = 43
        later.price = 215.5
        later.size = 50
        let merged = later.absorbing(tick)
        #expect(
            ServerMessage.tick(merged).json
                == #"{"symbol":"AAPL","price":215.5,"timestamp":"2025-08-12T14:35:00Z","sequence":43,"volume":150,"conflated":1}"#
        )
        #expect(
            ServerMessage.gap(PulseV1.SequenceGap(symbol: "AAPL", firstMissing: 3, lastMissing: 9)).json
                == #"{"type":"gap","symbol":"AAPL","first_missing":3,"last_missing":9}"#)
        #expect(
            ServerMessage.stale(symbol: "MSFT", quietFor: .milliseconds(35_250)).json
                == #"{"type":"stale","symbol":"MSFT","quiet_seconds":35.3}"#)
    }

    @Test("REST credentials: Bearer or x-api-key, anything else is none")
    func credentials() {
        #expect(Credentials.key(fromHeaders: ["authorization": "Bearer pt_abc"]) == "pt_abc")
        #expect(Credentials.key(fromHeaders: ["authorization": "bearer   pt_abc"]) == "pt_abc")
        #expect(Credentials.key(fromHeaders: ["x-api-key": "pt_xyz"]) == "pt_xyz")
        #expect(Credentials.key(fromHeaders: ["authorization": "Basic dXNlcjpwdw=="]) == nil)
        #expect(Credentials.key(fromHeaders: ["authorization": "Bearer "]) == nil)
        #expect(Credentials.key(fromHeaders: [:]) == nil)
        #expect(Credentials.metadata(nil).isEmpty)
        let metadata = Credentials.metadata("pt_abc")
        #expect(metadata.count == 1 && metadata[0].name == "authorization")
        #expect(metadata[0].value == Array("Bearer pt_abc".utf8))
    }

    @Test("RESOURCE_EXHAUSTED with RetryInfo becomes 429 with Retry-After in whole seconds, rounded up")
    func retryAfter() {
        for (ms, seconds) in [(1200, 2), (1000, 1), (0, 1), (30_001, 31)] as [(Int64, Int)] {
            let status = GRPCStatus(.resourceExhausted, "rate limit")
            var error = RPCError(code: .resourceExhausted, message: "rate limit")
            error.details = status.detailsWithRetryInfo(retryAfterMs: ms)
            let bridged = BridgeError(error)
            #expect(bridged.retryAfterSeconds == seconds, "\(ms) ms")
            let result = RESTHandler.result(bridged)
            #expect(result.statusCode == 429)
            #expect(result.header("Retry-After") == String(seconds))
        }
        #expect(BridgeError(RPCError(code: .resourceExhausted, message: "no details")).retryAfterSeconds == nil)
        #expect(RESTHandler.result(BridgeError(.unauthenticated, "no key")).statusCode == 401)
        #expect(RESTHandler.result(BridgeError(.permissionDenied, "scope")).statusCode == 403)
    }

    @Test("GET /indicators: the ind list, its parameters and its errors")
    func indicatorsRoute() throws {
        let event = HTTPEvent(
            version: .v2, method: "GET", path: "/indicators/aapl",
            query: ["timeframe": ["1h"], "ind": ["ema:20,rsi:14,bbands:20,2,2,obv"], "include_bars": ["true"]])
        guard case .indicators(let request) = try Route.match(event) else {
            Issue.record("not the indicators route")
            return
        }
        #expect(request.symbol == "AAPL")
        #expect(request.timeframe == PulseV1.Timeframe(1, .hour))
        #expect(request.includeBars)
        #expect(request.indicators.map(\.function) == ["ema", "rsi", "bbands", "obv"])
        #expect(request.indicators.map(\.parameters) == [[20], [14], [20, 2, 2], []])
        // Six outputs and the bars: 5,000,000 / (24 · (1 + 6 + 6)) = 16,025 bars of JSON, held to 10,000.
        #expect(request.pageSize == 10_000)
        let wide = HTTPEvent(
            version: .v2, method: "GET", path: "/indicators/AAPL",
            query: ["ind": [Array(repeating: "bbands:20,2,2", count: 20).joined(separator: ",")]])
        guard case .indicators(let many) = try Route.match(wide) else {
            Issue.record("not the indicators route")
            return
        }
        // 60 outputs: 5,000,000 / (24 · 61) = 3,415 bars keep the JSON under API Gateway's 6 MB.
        #expect(many.pageSize == 3_415)
        let asked = HTTPEvent(
            version: .v2, method: "GET", path: "/indicators/AAPL", query: ["ind": ["ema:20"], "page_size": ["250"]])
        guard case .indicators(let small) = try Route.match(asked) else {
            Issue.record("not the indicators route")
            return
        }
        #expect(small.pageSize == 250)
        let tooLarge = HTTPEvent(
            version: .v2, method: "GET", path: "/indicators/AAPL", query: ["ind": ["ema:20"], "page_size": ["10001"]])
        #expect(throws: BridgeError.self) { try Route.match(tooLarge) }
        for bad in ["", "3,ema", "ema:x", "ema;20", String(repeating: "sma:5,", count: 21)] {
            let event = HTTPEvent(version: .v2, method: "GET", path: "/indicators/AAPL", query: ["ind": [bad]])
            #expect(throws: BridgeError.self, "\(bad)") { try Route.match(event) }
        }
        let missing = HTTPEvent(version: .v2, method: "GET", path: "/indicators/AAPL")
        #expect(throws: BridgeError.self) { try Route.match(missing) }
    }
}

@Suite("Fan-out mailbox: one connection's frames under its own lock")
struct FanoutMailboxTests {
    private func tick(_ sequence: UInt64, size: Double = 100) -> PulseV1.Tick {
        var tick = PulseV1.Tick(symbol: "AAPL", sequence: sequence, timeMs: 1_755_009_300_000, price: 215, size: size)
        tick.ingestTimeUs = 1_755_009_300_000_000 + Int64(sequence)
        return tick
    }

    @Test("a parked drain is handed the frame at once; the shared rendering goes with an unchanged tick")
    func handOff() async {
        let mailbox = FanoutMailbox(timing: false, controlLimit: 4)
        let taken = Task { await mailbox.next() }
        // The drain may or may not have parked yet: either way it gets exactly this frame.
        mailbox.offer(tick(1), rendered: Array("shared".utf8))
        let frames = await taken.value
        guard case .tick(let got, let rendered)? = frames?.first, frames?.count == 1 else {
            Issue.record("expected one tick, got \(String(describing: frames))")
            return
        }
        #expect(got.sequence == 1 && rendered == Array("shared".utf8))
    }

    @Test("a tick folded into a newer one is rendered for this socket alone; older and repeated ticks are dropped")
    func conflation() async {
        let mailbox = FanoutMailbox(timing: true, controlLimit: 4)
        mailbox.offer(tick(1, size: 100), rendered: Array("one".utf8))
        mailbox.offer(tick(2, size: 50), rendered: Array("two".utf8))
        mailbox.offer(tick(2), rendered: nil)  // a repeat
        mailbox.raiseLastSequence("AAPL", to: 5)
        mailbox.offer(tick(4), rendered: nil)  // covered by a gap already sent
        #expect(mailbox.queue([Array("ack".utf8)]))
        let frames = await mailbox.next() ?? []
        #expect(frames.count == 2)
        guard case .bytes(let ack) = frames.first, case .tick(let folded, let rendered) = frames.last else {
            Issue.record("expected the acknowledgement, then one tick: \(frames)")
            return
        }
        #expect(ack == Array("ack".utf8))
        // Tick 2 stands for tick 1 too: 150 shares in all, and its shared JSON no longer fits.
        #expect(folded.sequence == 2 && folded.conflated == 1 && folded.size + folded.conflatedSize == 150)
        #expect(rendered == nil)
    }

    @Test("control frames past the limit are refused; a closed mailbox ends its drain")
    func limitAndClose() async {
        let mailbox = FanoutMailbox(timing: false, controlLimit: 2)
        #expect(mailbox.queue([[1], [2]]))
        #expect(!mailbox.queue([[3]]))
        _ = await mailbox.next()
        let waiting = Task { await mailbox.next() }
        mailbox.close()
        #expect(await waiting.value == nil)
        #expect(!mailbox.queue([[4]]))
    }
}
