import Logging
import PulseIO
import PulseProtocol
import ServiceLifecycle
import Synchronization

/// The event loops, connections and per-loop statistics of a run, and the monitor that prints the
/// progress line, notices a dead server and ends a run that overstays.
final class RunEnvironment: Sendable {
    let group: EventLoopGroup
    let connections: [LoadConnection]
    /// One per loop and method: `stats[loop * methods + method]`.
    let stats: [LoopStats]
    let methods: Int
    let target: String

    init(
        host: String, port: Int, connections count: Int, loops: Int, methods: Int = 1, connectTimeout: Duration
    ) throws(LoadError) {
        do {
            group = try EventLoopGroup(loops: max(1, min(loops, count)))
        } catch {
            throw LoadError("cannot start the event loops: \(error)")
        }
        var connections: [LoadConnection] = []
        for index in 0..<count {
            do {
                connections.append(
                    try LoadConnection(
                        host: host, port: port, loop: group.loops[index % group.loops.count],
                        connectTimeout: connectTimeout))
            } catch {
                group.shutdown()
                throw error
            }
        }
        self.connections = connections
        self.methods = methods
        stats = (0..<(group.loops.count * methods)).map { _ in LoopStats() }
        target = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The statistics of the loop `connection` runs on, one per method.
    func stats(for connection: Int) -> [LoopStats] {
        let loop = connection % group.loops.count
        return Array(stats[(loop * methods)..<((loop + 1) * methods)])
    }

    /// The statistics of `method` on every loop.
    func stats(method: Int) -> [LoopStats] {
        stride(from: method, to: stats.count, by: methods).map { stats[$0] }
    }

    func shutdown() async {
        for connection in connections { await connection.close() }
        interruptWatch.withLock { $0?.cancel() }
        group.shutdown()
    }

    /// SIGINT/SIGTERM stop the run like a dead server does: a partial report, not a lost one. The signals are
    /// trapped by PulseIO's `ProcessLifecycle`, their one owner in any PulseTrader process.
    func stopOnInterrupt(_ control: RunControl) {
        let task = InterruptWatch.start(control)
        interruptWatch.withLock { $0 = task }
    }

    private let interruptWatch = Mutex<Task<Void, Never>?>(nil)

    /// Watches the run until every worker is done.
    ///
    /// - Stops issuing when no call has succeeded for `giveUpAfter` seconds and the last error is UNAVAILABLE
    ///   (the server is gone), marking the run partial.
    /// - `drainGrace` seconds after issuing stopped, closes the connections and cancels `workers`, so calls
    ///   a stalled server never answers cannot hold the run.
    func monitor(
        _ control: RunControl, workers: Task<Void, Never>? = nil, giveUpAfter: Double, drainGrace: Double,
        progress: (@Sendable (StatsSnapshot, Double, Double, Bool) -> Void)?
    ) async {
        var lastPrint = control.start
        while control.liveWorkers.load(ordering: .acquiring) > 0 {
            try? await Task.sleep(for: .milliseconds(50))
            let now = MonotonicClock.now()
            if let progress, now &- lastPrint >= 1_000_000_000 {
                let interval = Double(now &- lastPrint) / 1e9
                lastPrint = now
                let elapsed = Double(now &- control.start) / 1e9
                progress(StatsSnapshot(stats), elapsed, interval, now < control.warmupEnd)
            }
            if !control.isStopped {
                if now >= control.end {
                    control.stop(at: control.end)
                } else {
                    let snapshot = StatsSnapshot(stats, histograms: false)
                    // A call may have succeeded on another loop after `now` was read: never a negative wait.
                    let lastOK = max(snapshot.lastOKTime, control.start)
                    let quietFor = lastOK >= now ? 0 : Double(now - lastOK) / 1e9
                    if quietFor > giveUpAfter, let (code, message) = snapshot.lastError, code == .unavailable {
                        control.stop(
                            at: now,
                            abort: "no call succeeded for \(formatFixed(quietFor, places: 1)) s; the last failed "
                                + "UNAVAILABLE: \(message)")
                    }
                }
            }
            let stopped = control.stoppedAt
            if stopped != 0, !control.closing.load(ordering: .acquiring),
                now > stopped &+ UInt64(drainGrace * 1e9)
            {
                control.closing.store(true, ordering: .releasing)
                workers?.cancel()
                for connection in connections { await connection.close() }
            }
        }
    }
}
