import Logging
import PulseIO
import ServiceLifecycle
import Synchronization

/// The shared state of one run: when it stops, how many requests it issued, why it ended early.
final class RunControl: Sendable {
    /// Monotonic nanoseconds at which issuing stopped (0 while running).
    private let stopTime = Atomic<UInt64>(0)
    private let slots = Atomic<Int>(0)
    private let calls = Atomic<Int>(0)
    private let measuredClaims = Atomic<Int>(0)
    let liveWorkers = Atomic<Int>(0)
    /// Set once the harness closes its connections: outcomes after it are the harness's own doing.
    let closing = Atomic<Bool>(false)
    private let reason = Mutex<String?>(nil)

    let start: UInt64
    let warmupEnd: UInt64
    /// When issuing stops by time (`.max` for a request-count run).
    let end: UInt64
    let requestLimit: Int?

    init(start: UInt64, warmup: Double, duration: Double?, requestLimit: Int?) {
        self.start = start
        let warmupEnd = start &+ UInt64(warmup * 1e9)
        self.warmupEnd = warmupEnd
        end = duration.map { warmupEnd &+ UInt64($0 * 1e9) } ?? .max
        self.requestLimit = requestLimit
    }

    var isStopped: Bool { stopTime.load(ordering: .acquiring) != 0 }
    var stoppedAt: UInt64 { stopTime.load(ordering: .acquiring) }
    var abortReason: String? { reason.withLock { $0 } }

    /// Stops issuing (the first call wins); `why` marks the run as partial.
    func stop(at time: UInt64, abort why: String? = nil) {
        if stopTime.compareExchange(expected: 0, desired: max(time, 1), ordering: .acquiringAndReleasing).exchanged,
            let why
        {
            reason.withLock { $0 = why }
        }
    }

    /// The position of the next closed-loop call in the plan of a mix.
    func nextCall() -> Int { calls.wrappingAdd(1, ordering: .relaxed).oldValue }

    /// The next open-loop slot.
    func nextSlot() -> Int { slots.wrappingAdd(1, ordering: .relaxed).oldValue }

    /// Claims one measured request against `--requests`; false when the limit is reached (and stops the run).
    func claimMeasured(now: UInt64) -> Bool {
        guard let requestLimit else { return true }
        let claimed = measuredClaims.wrappingAdd(1, ordering: .relaxed).newValue
        if claimed > requestLimit {
            stop(at: now)
            return false
        }
        return true
    }
}

/// SIGINT and SIGTERM stop a run early (a partial report), through the lifecycle's signal handling.
enum InterruptWatch {
    /// Watches until cancelled.
    static func start(_ control: RunControl) -> Task<Void, Never> {
        Task {
            let lifecycle = ProcessLifecycle(
                parts: [Watcher(control: control)], logger: Logger(label: "pulse-load"))
            try? await lifecycle.run()
        }
    }

    /// Waits for the lifecycle's graceful shutdown (a signal) and stops the run; ends quietly when cancelled.
    private struct Watcher: Service {
        let control: RunControl
        func run() async throws {
            try await gracefulShutdown()
            control.stop(at: MonotonicClock.now(), abort: "interrupted by a signal")
        }
    }
}

/// Wall-clock microseconds since the Unix epoch (tick timestamps are wall-clock times).
func wallClockMicroseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}

#if canImport(Glibc)
    import Glibc
#endif
