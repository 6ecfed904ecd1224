import PulseIO
import PulseProtocol

/// What a unary run does.
public struct UnaryLoadConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// `/package.Service/Method`.
    public var method: String
    /// Encoded request messages, sent round-robin (at least one).
    public var messages: [[UInt8]]
    public var connections = 1
    /// Closed loop: calls in flight at all times. Open loop: the most calls in flight.
    public var concurrency = 1
    /// Seconds of measurement after the warm-up; nil with `requests`.
    public var duration: Double? = 10
    /// Stop after this many measured calls.
    public var requests: Int?
    /// Open loop when set.
    public var rate: RateSchedule?
    public var warmup: Double = 0
    /// Each call's deadline (sent as grpc-timeout).
    public var timeout: Duration? = .seconds(10)
    public var loops = EventLoopGroup.coreCount
    public var connectTimeout: Duration = .seconds(5)
    /// Seconds without a successful call, while calls fail UNAVAILABLE, before the run gives up.
    public var giveUpAfter = 2.0
    /// Seconds calls in flight may take to finish once issuing stopped.
    public var drainGrace = 2.0
    /// Called about once a second with a progress line.
    public var progress: (@Sendable (String) -> Void)?

    public init(host: String, port: Int, method: String, messages: [[UInt8]]) {
        self.host = host
        self.port = port
        self.method = method
        self.messages = messages
    }
}

/// Unary load: closed loop (a fixed number of calls in flight) or open loop (calls issued on a rate
/// schedule, latency measured from each call's intended send time as wrk2 does, the uncorrected figure
/// beside it).
public enum UnaryLoad {
    /// Runs the load and returns its report; a server that goes away mid-run gives a partial report.
    /// - Throws: `LoadError` when the run cannot start (bad address, server unreachable).
    public static func run(_ configuration: UnaryLoadConfiguration) async throws(LoadError) -> LoadReport {
        precondition(!configuration.messages.isEmpty && configuration.concurrency > 0 && configuration.connections > 0)
        let environment = try RunEnvironment(
            host: configuration.host, port: configuration.port, connections: configuration.connections,
            loops: configuration.loops, connectTimeout: configuration.connectTimeout)
        let prepared = configuration.messages.map {
            LoadConnection.prepare(path: configuration.method, message: $0, timeout: configuration.timeout)
        }
        // One call first: an unreachable server is reported as such instead of as a storm of errors.
        let probe = LoadConnection.prepare(
            path: configuration.method, message: configuration.messages[0], timeout: configuration.connectTimeout)
        if case .failed(let code, let message) = await environment.connections[0].unary(probe), code == .unavailable {
            await environment.shutdown()
            throw LoadError("cannot reach \(environment.target): \(message)")
        }

        let control = RunControl(
            start: MonotonicClock.now(), warmup: configuration.warmup, duration: configuration.duration,
            requestLimit: configuration.requests)
        control.liveWorkers.store(configuration.concurrency, ordering: .releasing)
        let workers = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<configuration.concurrency {
                    let index = worker % environment.connections.count
                    let connection = environment.connections[index]
                    let stats = environment.stats(for: index)
                    group.addTask(executorPreference: connection.loop) {
                        defer { control.liveWorkers.subtract(1, ordering: .releasing) }
                        if let schedule = configuration.rate {
                            await openLoopWorker(connection, stats, prepared, worker, schedule, control)
                        } else {
                            await closedLoopWorker(
                                connection, stats, prepared, worker, configuration.concurrency, control)
                        }
                    }
                }
            }
        }
        let rate = ProgressRate()
        let progress = configuration.progress.map { print in
            { @Sendable (snapshot: StatsSnapshot, elapsed: Double, interval: Double) in
                let perSecond = rate.perSecond(snapshot.requests, interval: interval)
                print(
                    ProgressLine.unary(
                        snapshot, elapsed: elapsed, perSecond: perSecond, openLoop: configuration.rate != nil))
            }
        }
        await environment.monitor(
            control, workers: workers, giveUpAfter: configuration.giveUpAfter, drainGrace: configuration.drainGrace,
            progress: progress)
        await workers.value
        let snapshot = StatsSnapshot(environment.stats)
        await environment.shutdown()
        return report(snapshot, configuration, control, target: environment.target)
    }

    private static func closedLoopWorker(
        _ connection: LoadConnection, _ stats: LoopStats, _ prepared: [LoadConnection.PreparedRequest],
        _ worker: Int, _ concurrency: Int, _ control: RunControl
    ) async {
        var index = worker % prepared.count
        while !control.isStopped, !Task.isCancelled {
            let sent = MonotonicClock.now()
            guard sent < control.end else {
                control.stop(at: control.end)
                break
            }
            let measured = sent >= control.warmupEnd
            if measured, !control.claimMeasured(now: sent) { break }
            let outcome = await connection.unary(prepared[index])
            let done = MonotonicClock.now()
            if control.closing.load(ordering: .acquiring) { break }
            stats.record(outcome, latency: (done &- sent) / 1000, uncorrected: nil, now: done, measured: measured)
            index = (index + concurrency) % prepared.count
            if case .failed(.unavailable, _) = outcome {
                try? await connection.loop.sleep(nanoseconds: 5_000_000)  // no busy loop against a dead server
            }
        }
    }

    private static func openLoopWorker(
        _ connection: LoadConnection, _ stats: LoopStats, _ prepared: [LoadConnection.PreparedRequest],
        _ worker: Int, _ schedule: RateSchedule, _ control: RunControl
    ) async {
        while !control.isStopped, !Task.isCancelled {
            let slot = control.nextSlot()
            let offset = schedule.intendedTime(ofRequest: slot)
            guard offset.isFinite else { break }
            let intended = control.start &+ UInt64(offset * 1e9)
            guard intended < control.end else {
                control.stop(at: control.end)
                break
            }
            var now = MonotonicClock.now()
            let measured = intended >= control.warmupEnd
            if measured, !control.claimMeasured(now: now) { break }
            if intended > now &+ 20_000 {
                try? await connection.loop.sleep(nanoseconds: intended &- now)
                if control.closing.load(ordering: .acquiring) { break }
                now = MonotonicClock.now()
            }
            let outcome = await connection.unary(prepared[slot % prepared.count])
            let done = MonotonicClock.now()
            if control.closing.load(ordering: .acquiring) { break }
            stats.record(
                outcome, latency: done > intended ? (done &- intended) / 1000 : 0,
                uncorrected: (done &- now) / 1000, now: done, measured: measured)
        }
    }

    private static func report(
        _ snapshot: StatsSnapshot, _ configuration: UnaryLoadConfiguration, _ control: RunControl, target: String
    ) -> LoadReport {
        let stopped = control.stoppedAt == 0 ? MonotonicClock.now() : control.stoppedAt
        let measuredEnd = max(stopped, snapshot.lastMeasuredTime)
        let seconds = max(1e-9, Double(measuredEnd &- min(measuredEnd, control.warmupEnd)) / 1e9)
        let openLoop = configuration.rate != nil
        return LoadReport(
            scenario: "unary", target: target, method: configuration.method, mode: openLoop ? "open" : "closed",
            connections: configuration.connections, concurrency: configuration.concurrency,
            rate: configuration.rate?.text, durationSeconds: seconds, requests: snapshot.requests, ok: snapshot.ok,
            errors: snapshot.errorsByName, rps: Double(snapshot.requests) / seconds,
            latency: LatencySummary(snapshot.latency),
            uncorrected: openLoop ? LatencySummary(snapshot.uncorrected) : nil,
            partial: control.abortReason != nil, abortReason: control.abortReason, stream: nil)
    }
}
