import PulseIO
import PulseProtocol

/// What a unary run does.
public struct UnaryLoadConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The calls to make: a method and an encoded request each, chosen in proportion to their weights
    /// (round-robin for equal weights).
    public var calls: [UnaryCall]
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
    /// SIGINT and SIGTERM end the run early with a partial report (the command line sets this).
    public var stopOnInterrupt = false

    /// One method with requests sent round-robin.
    public init(host: String, port: Int, method: String, messages: [[UInt8]]) {
        self.init(host: host, port: port, calls: messages.map { UnaryCall(method: method, message: $0) })
    }

    /// A weighted mix of calls.
    public init(host: String, port: Int, calls: [UnaryCall]) {
        self.host = host
        self.port = port
        self.calls = calls
    }

    /// The distinct methods, in order of first appearance.
    var methods: [String] {
        var seen: [String] = []
        for call in calls where !seen.contains(call.method) { seen.append(call.method) }
        return seen
    }
}

/// One kind of call of a unary run.
public struct UnaryCall: Sendable {
    public var method: String
    public var message: [UInt8]
    /// Relative share of the calls (1 by default).
    public var weight: Int

    public init(method: String, message: [UInt8], weight: Int = 1) {
        self.method = method
        self.message = message
        self.weight = weight
    }
}

/// A call ready to send, with the index of its method for the per-method figures.
struct PlannedCall: Sendable {
    let request: LoadConnection.PreparedRequest
    let method: Int
}

/// The calls in the order they are sent: smooth weighted round-robin over the calls, so weights 3 and 1
/// give A A B A rather than A A A B.
func weightedPlan(_ calls: [UnaryCall], methods: [String], timeout: Duration?) -> [PlannedCall] {
    func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
    let divisor = calls.map(\.weight).reduce(0, gcd)
    let weights = calls.map { max(1, $0.weight / max(1, divisor)) }
    let total = min(weights.reduce(0, +), 100_000)
    var current = [Int](repeating: 0, count: calls.count)
    var plan: [PlannedCall] = []
    let prepared = calls.map { LoadConnection.prepare(path: $0.method, message: $0.message, timeout: timeout) }
    for _ in 0..<total {
        for index in current.indices { current[index] += weights[index] }
        let chosen = current.indices.max { current[$0] < current[$1] }!
        current[chosen] -= weights.reduce(0, +)
        plan.append(PlannedCall(request: prepared[chosen], method: methods.firstIndex(of: calls[chosen].method)!))
    }
    return plan
}

/// Unary load: closed loop (a fixed number of calls in flight) or open loop (calls issued on a rate
/// schedule, latency measured from each call's intended send time as wrk2 does, the uncorrected figure
/// beside it).
public enum UnaryLoad {
    /// Runs the load and returns its report; a server that goes away mid-run gives a partial report.
    /// - Throws: `LoadError` when the run cannot start (bad address, server unreachable).
    public static func run(_ configuration: UnaryLoadConfiguration) async throws(LoadError) -> LoadReport {
        precondition(!configuration.calls.isEmpty && configuration.concurrency > 0 && configuration.connections > 0)
        let methods = configuration.methods
        let environment = try RunEnvironment(
            host: configuration.host, port: configuration.port, connections: configuration.connections,
            loops: configuration.loops, methods: methods.count, connectTimeout: configuration.connectTimeout)
        let plan = weightedPlan(configuration.calls, methods: methods, timeout: configuration.timeout)
        // One call first: an unreachable server is reported as such instead of as a storm of errors.
        let probe = LoadConnection.prepare(
            path: configuration.calls[0].method, message: configuration.calls[0].message,
            timeout: configuration.connectTimeout)
        if case .failed(let code, let message) = await environment.connections[0].unary(probe), code == .unavailable {
            await environment.shutdown()
            throw LoadError("cannot reach \(environment.target): \(message)")
        }

        let control = RunControl(
            start: MonotonicClock.now(), warmup: configuration.warmup, duration: configuration.duration,
            requestLimit: configuration.requests)
        control.liveWorkers.store(configuration.concurrency, ordering: .releasing)
        if configuration.stopOnInterrupt { environment.stopOnInterrupt(control) }
        for worker in 0..<configuration.concurrency {
            let index = worker % environment.connections.count
            let connection = environment.connections[index]
            let stats = environment.stats(for: index)
            let schedule = configuration.rate
            connection.loop.execute {
                UnaryWorker(connection: connection, stats: stats, plan: plan, schedule: schedule, control: control)
                    .startNext()
            }
        }
        let rate = ProgressRate()
        let progress = configuration.progress.map { print in
            { @Sendable (snapshot: StatsSnapshot, elapsed: Double, interval: Double, warmingUp: Bool) in
                let perSecond = rate.perSecond(snapshot.requests, interval: interval)
                let line = ProgressLine.unary(
                    snapshot, elapsed: elapsed, perSecond: perSecond, openLoop: configuration.rate != nil)
                print(warmingUp ? "\(line)  (warming up: not recorded)" : line)
            }
        }
        await environment.monitor(
            control, giveUpAfter: configuration.giveUpAfter, drainGrace: configuration.drainGrace, progress: progress)
        let snapshot = StatsSnapshot(environment.stats)
        let perMethod = methods.indices.map { StatsSnapshot(environment.stats(method: $0)) }
        await environment.shutdown()
        return report(snapshot, perMethod, configuration, control, target: environment.target)
    }

    private static func report(
        _ snapshot: StatsSnapshot, _ perMethod: [StatsSnapshot], _ configuration: UnaryLoadConfiguration,
        _ control: RunControl, target: String
    ) -> LoadReport {
        let stopped = control.stoppedAt == 0 ? MonotonicClock.now() : control.stoppedAt
        let measuredEnd = max(stopped, snapshot.lastMeasuredTime)
        let seconds = max(1e-9, Double(measuredEnd &- min(measuredEnd, control.warmupEnd)) / 1e9)
        let openLoop = configuration.rate != nil
        let methods = configuration.methods
        let breakdown =
            methods.count < 2
            ? nil
            : methods.indices.map { index in
                let figures = perMethod[index]
                return LoadReport.MethodFigures(
                    method: methods[index],
                    weight: configuration.calls.filter { $0.method == methods[index] }.map(\.weight).reduce(0, +),
                    requests: figures.requests, ok: figures.ok, errors: figures.errorsByName,
                    rps: Double(figures.requests) / seconds, latency: LatencySummary(figures.latency))
            }
        var report = LoadReport(
            scenario: "unary", target: target, method: methods.count == 1 ? methods[0] : "mix",
            mode: openLoop ? "open" : "closed", connections: configuration.connections,
            concurrency: configuration.concurrency, rate: configuration.rate?.text, durationSeconds: seconds,
            requests: snapshot.requests, ok: snapshot.ok, errors: snapshot.errorsByName,
            rps: Double(snapshot.requests) / seconds, latency: LatencySummary(snapshot.latency),
            uncorrected: openLoop ? LatencySummary(snapshot.uncorrected) : nil, partial: control.abortReason != nil,
            abortReason: control.abortReason, stream: nil, methods: breakdown)
        if let schedule = configuration.rate {
            report.askedRate = meanRate(
                schedule, from: Double(control.warmupEnd &- control.start) / 1e9, seconds: seconds)
        }
        return report
    }

    /// The schedule's mean rate over `seconds` from `start` (seconds into the run).
    static func meanRate(_ schedule: RateSchedule, from start: Double, seconds: Double) -> Double {
        let steps = 1000
        var total = 0.0
        for step in 0..<steps { total += schedule.rate(at: start + (Double(step) + 0.5) * seconds / Double(steps)) }
        return total / Double(steps)
    }
}

/// One of the run's `concurrency` call slots, living on its connection's loop: it starts a call and, when that
/// ends, records it and starts the next, until the run stops. Callbacks on the loop rather than a task per slot:
/// a task switch, a continuation and a cancellation handler per call were the harness's largest cost beside
/// nghttp2's. Closed loop: the next call goes at once. Open loop: it goes at its slot's intended time on the rate
/// schedule, and its latency counts from that time (the uncorrected figure from when it was sent).
private final class UnaryWorker {
    private let connection: LoadConnection
    private let stats: [LoopStats]
    private let plan: [PlannedCall]
    private let schedule: RateSchedule?
    private let control: RunControl
    // The call in flight.
    private var intended: UInt64 = 0
    private var sent: UInt64 = 0
    private var measured = false
    private var method = 0
    /// Starts a call whose end comes back to `finished`; it holds this worker until `retire` lets it go.
    private var startCall: ((LoadConnection.PreparedRequest) -> Void)?

    init(
        connection: LoadConnection, stats: [LoopStats], plan: [PlannedCall], schedule: RateSchedule?,
        control: RunControl
    ) {
        self.connection = connection
        self.stats = stats
        self.plan = plan
        self.schedule = schedule
        self.control = control
        startCall = connection.unaryStarter { [self] outcome in finished(outcome) }
    }

    /// Issues the next call (`now`: the time, when the caller just read it), or retires this slot once the run
    /// stops issuing.
    func startNext(now known: UInt64? = nil) {
        guard !control.isStopped, !control.closing.load(ordering: .acquiring) else { return retire() }
        let now = known ?? MonotonicClock.now()
        guard let schedule else {
            guard now < control.end else {
                control.stop(at: control.end)
                return retire()
            }
            measured = now >= control.warmupEnd
            if measured, !control.claimMeasured(now: now) { return retire() }
            intended = now
            return send(plan.count == 1 ? plan[0] : plan[control.nextCall() % plan.count], at: now)
        }
        let slot = control.nextSlot()
        let offset = schedule.intendedTime(ofRequest: slot)
        guard offset.isFinite else { return retire() }
        intended = control.start &+ UInt64(offset * 1e9)
        guard intended < control.end else {
            control.stop(at: control.end)
            return retire()
        }
        measured = intended >= control.warmupEnd
        if measured, !control.claimMeasured(now: now) { return retire() }
        sendWhenDue(plan[slot % plan.count])
    }

    /// Sends `call` at its intended time. The wait wakes at least every 50 ms, so a run that is aborted or closing
    /// does not wait for slots far ahead (a low rate over many slots puts them seconds ahead).
    private func sendWhenDue(_ call: PlannedCall) {
        if control.closing.load(ordering: .acquiring) || control.abortReason != nil { return retire() }
        let now = MonotonicClock.now()
        guard intended > now &+ 20_000 else { return send(call, at: now) }
        connection.loop.scheduleTimer(deadline: min(intended, now &+ 50_000_000)) { [self] in sendWhenDue(call) }
    }

    private func send(_ call: PlannedCall, at now: UInt64) {
        sent = now
        method = call.method
        startCall?(call.request)
    }

    private func finished(_ outcome: CallOutcome) {
        let done = MonotonicClock.now()
        if control.closing.load(ordering: .acquiring) { return retire() }
        stats[method].record(
            outcome, latency: done > intended ? (done &- intended) / 1000 : 0,
            uncorrected: schedule == nil ? nil : (done &- sent) / 1000, now: done, measured: measured)
        if schedule == nil, case .failed(.unavailable, _) = outcome {
            // No busy loop against a dead server.
            connection.loop.scheduleTimer(afterNanoseconds: 5_000_000) { [self] in startNext() }
            return
        }
        startNext(now: done)
    }

    private func retire() {
        startCall = nil
        control.liveWorkers.subtract(1, ordering: .releasing)
    }
}
