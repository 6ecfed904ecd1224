import PulseIO
import PulseProtocol

/// What a subscription run does.
public struct SubscribeLoadConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var method = "/pulse.v1.Quotes/Subscribe"
    public var symbols: [String]
    public var streams = 1
    public var connections = 1
    public var duration = 10.0
    public var warmup = 0.0
    public var loops = EventLoopGroup.coreCount
    public var connectTimeout: Duration = .seconds(5)
    public var schema: ProtoSchema
    public var progress: (@Sendable (String) -> Void)?
    /// SIGINT and SIGTERM end the run early with a partial report (the command line sets this).
    public var stopOnInterrupt = false
    /// Each stream subscribes to one symbol, stream k to `symbols[k % symbols.count]` (instead of all of them).
    public var spread = false

    public init(host: String, port: Int, symbols: [String], schema: ProtoSchema) {
        self.host = host
        self.port = port
        self.symbols = symbols
        self.schema = schema
    }
}

/// Server-streaming subscribers: N streams over M connections, each measuring every tick's latency from the
/// timestamp it carries and checking its per-symbol sequence numbers for gaps (conflated ticks say how many
/// they replace, so those are not gaps).
public enum SubscribeLoad {
    public static func run(_ configuration: SubscribeLoadConfiguration) async throws(LoadError) -> LoadReport {
        let decoder: TickDecoder
        var requests: [[UInt8]] = []
        do {
            decoder = try TickDecoder(schema: configuration.schema)
            let method = try configuration.schema.method(configuration.method)
            let sets = configuration.spread ? configuration.symbols.map { [$0] } : [configuration.symbols]
            for set in sets {
                requests.append(
                    try ProtoJSONEncoder(schema: configuration.schema).encode(
                        .object([("symbols", JSONValue.array(set.map { .string($0) }))]), as: method.inputType))
            }
        } catch {
            throw LoadError(error.message)
        }
        let environment = try RunEnvironment(
            host: configuration.host, port: configuration.port, connections: configuration.connections,
            loops: configuration.loops, connectTimeout: configuration.connectTimeout)
        let prepared = requests.map { LoadConnection.prepare(path: configuration.method, message: $0, timeout: nil) }
        let control = RunControl(
            start: MonotonicClock.now(), warmup: configuration.warmup, duration: configuration.duration,
            requestLimit: nil)
        control.liveWorkers.store(configuration.streams, ordering: .releasing)
        if configuration.stopOnInterrupt { environment.stopOnInterrupt(control) }
        let workers = Task {
            await withTaskGroup(of: Void.self) { group in
                for stream in 0..<configuration.streams {
                    let index = stream % environment.connections.count
                    let connection = environment.connections[index]
                    let stats = environment.stats(for: index)[0]
                    let prepared = prepared[stream % prepared.count]
                    group.addTask(executorPreference: connection.loop) {
                        defer { control.liveWorkers.subtract(1, ordering: .releasing) }
                        let outcome = await subscriber(connection, stats, prepared, decoder, control)
                        stats.recordStreamEnd(control.isStopped ? nil : outcome)
                    }
                }
            }
        }
        let rate = ProgressRate()
        let progress = configuration.progress.map { print in
            { @Sendable (snapshot: StatsSnapshot, elapsed: Double, interval: Double, warmingUp: Bool) in
                let open = control.liveWorkers.load(ordering: .relaxed)
                let perSecond = rate.perSecond(snapshot.messages, interval: interval)
                let line = ProgressLine.subscribe(
                    snapshot, elapsed: elapsed, perSecond: perSecond, openStreams: open)
                print(warmingUp ? "\(line)  (warming up: not recorded)" : line)
            }
        }
        await environment.monitor(
            control, workers: workers, giveUpAfter: .infinity, drainGrace: 0, progress: progress)
        await workers.value
        let snapshot = StatsSnapshot(environment.stats)
        await environment.shutdown()
        if !control.isStopped {
            let last = snapshot.lastError.map { "; the last failed \($0.0.name): \($0.1)" } ?? ""
            if snapshot.messages == 0, snapshot.ok == 0, let (code, message) = snapshot.lastError, code == .unavailable
            {
                throw LoadError("cannot reach \(environment.target): \(message)")
            }
            control.stop(at: MonotonicClock.now(), abort: "every stream ended before the run's end\(last)")
        }
        return report(snapshot, configuration, control, decoder, target: environment.target)
    }

    /// Reads one stream until it ends or the run stops.
    private static func subscriber(
        _ connection: LoadConnection, _ stats: LoopStats, _ prepared: LoadConnection.PreparedRequest,
        _ decoder: TickDecoder, _ control: RunControl
    ) async -> CallOutcome {
        var lastSequence: [ArraySlice<UInt8>: UInt64] = [:]
        return await connection.serverStream(prepared) { body in
            let now = MonotonicClock.now()
            let wall = wallClockMicroseconds()
            let measured = now >= control.warmupEnd
            let event: TickDecoder.Event
            do {
                event = try decoder.decode(body)
            } catch {
                stats.recordStreamEnd(.failed(.internal, "a message does not decode: \(error)"))
                return
            }
            switch event {
            case .tick(let symbol, let sequence, let conflated, let timeMicros):
                var missing: UInt64 = 0
                var outOfOrder = false
                if let previous = lastSequence[symbol] {
                    let expected = previous &+ 1 &+ conflated
                    if sequence <= previous {
                        outOfOrder = true
                    } else if sequence > expected {
                        missing = sequence - expected
                    }
                }
                if !outOfOrder { lastSequence[ArraySlice(Array(symbol))] = sequence }
                stats.recordTick(
                    latency: wall - timeMicros, missing: Int(clamping: missing), conflated: Int(clamping: conflated),
                    outOfOrder: outOfOrder, now: now, measured: measured)
            case .gap(let symbol, let first, let last):
                stats.recordAnnouncedGap(last >= first ? Int(clamping: last - first + 1) : 0, measured: measured)
                // The numbers it names are accounted for: the next tick continues after them, not after the last
                // tick (else they would be counted again as missing).
                let key = ArraySlice(Array(symbol))
                if let previous = lastSequence[key], last > previous { lastSequence[key] = last }
            case .other:
                break
            }
        }
    }

    private static func report(
        _ snapshot: StatsSnapshot, _ configuration: SubscribeLoadConfiguration, _ control: RunControl,
        _ decoder: TickDecoder, target: String
    ) -> LoadReport {
        let stopped = control.stoppedAt == 0 ? MonotonicClock.now() : control.stoppedAt
        let seconds = max(1e-9, Double(stopped &- min(stopped, control.warmupEnd)) / 1e9)
        let figures = LoadReport.StreamFigures(
            streams: configuration.streams, messages: snapshot.messages,
            messagesPerSecond: Double(snapshot.messages) / seconds, missing: snapshot.missing,
            conflated: snapshot.conflated, outOfOrder: snapshot.outOfOrder, announcedMissing: snapshot.announcedMissing,
            clockSkewed: snapshot.negativeLatency, timeField: decoder.timeField)
        return LoadReport(
            scenario: "subscribe", target: target, method: configuration.method, mode: "streams",
            connections: configuration.connections, concurrency: configuration.streams, rate: nil,
            durationSeconds: seconds, requests: snapshot.requests, ok: snapshot.ok, errors: snapshot.errorsByName,
            rps: Double(snapshot.messages) / seconds, latency: LatencySummary(snapshot.latency), uncorrected: nil,
            partial: control.abortReason != nil, abortReason: control.abortReason, stream: figures, methods: nil)
    }
}
