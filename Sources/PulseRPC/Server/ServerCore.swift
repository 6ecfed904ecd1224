import Logging
import PulseIO
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What every connection of one server shares: configuration, routes, the compute pool, the logger,
/// and the bookkeeping of open connections per loop.
final class ServerCore: Sendable {
    let configuration: ServerConfiguration
    let router: MethodRouter
    let computePool: ComputePool
    let blockingPool: BlockingPool
    /// The interceptors by hook, call statistics first.
    let interceptors: InterceptorChain
    private let callStatistics: CallStatisticsInterceptor
    let logger: Logger
    let group: EventLoopGroup
    private let openConnections = Atomic<Int>(0)
    /// The connections this process may hold: the configured limit, lowered so that the descriptors the rest of
    /// the process needs stay free (a process out of descriptors fails everywhere at once — libdispatch's own
    /// thread-pool monitor traps when it cannot open /proc).
    let connectionLimit: Int
    private let shutdownState = Mutex<ShutdownState>(ShutdownState())
    /// Per-loop registries; each is touched only on its own loop.
    private let registries: LoopLocal<LoopRegistry>

    private struct ShutdownState {
        var started = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    init(
        configuration: ServerConfiguration, router: MethodRouter, computePool: ComputePool,
        blockingPool: BlockingPool, interceptors: [any ServerInterceptor], logger: Logger, group: EventLoopGroup
    ) {
        callStatistics = CallStatisticsInterceptor(group: group)
        self.interceptors = InterceptorChain([callStatistics] + interceptors)
        self.configuration = configuration
        self.router = router
        self.computePool = computePool
        self.blockingPool = blockingPool
        self.logger = logger
        connectionLimit = min(configuration.maxConnections, Self.descriptorBudget())
        self.group = group
        registries = LoopLocal(group: group) { _ in LoopRegistry() }
    }

    var connectionCount: Int { openConnections.load(ordering: .relaxed) }

    /// Reserves a connection slot; false when the limit is reached.
    func reserveConnection() -> Bool {
        let now = openConnections.wrappingAdd(1, ordering: .relaxed).newValue
        if now > connectionLimit {
            releaseSlot()
            return false
        }
        return true
    }

    /// Descriptors left for connections under the soft RLIMIT_NOFILE, keeping an eighth of it (at least 32)
    /// for everything else: database and Redis connections, the feed, log files, the runtime.
    static func descriptorBudget() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else {
            return Int.max
        }
        let soft = Int(clamping: limit.rlim_cur)
        return max(1, soft - max(32, soft / 8))
    }

    /// Takes an accepted descriptor on `loop` (call there): builds its connection and starts it.
    func adopt(fd: Int32, on loop: EventLoop) {
        do {
            let connection = try ServerConnection(fd: fd, loop: loop, core: self)
            try connection.start()
            registries[loop].connections[ObjectIdentifier(connection)] = connection
            logger.debug("connection accepted", metadata: ["peer": "\(connection.peer)", "loop": "\(loop.index)"])
            let registry = registries[loop]
            if registry.shuttingDown { connection.beginShutdown(grace: registry.grace) }
        } catch {
            logger.warning("could not set up connection: \(error)")
            SocketIO.close(fd)
            releaseSlot()
        }
    }

    func recordHTTPRejection(on loop: EventLoop) {
        registries[loop].rejectedHTTP += 1
    }

    /// Finished calls by status (the statistics interceptor) and HTTP rejections, summed over the loops.
    func statistics() async -> CallStatistics {
        var total = await callStatistics.total()
        total.rejectedHTTP = await registries.collect { $0.rejectedHTTP }.reduce(0, +)
        return total
    }

    func connectionClosed(_ connection: ServerConnection) {
        registries[connection.loop].connections[ObjectIdentifier(connection)] = nil
        releaseSlot()
    }

    private func releaseSlot() {
        let left = openConnections.wrappingSubtract(1, ordering: .relaxed).newValue
        if left == 0 { notifyIfDrained() }
    }

    /// Starts graceful shutdown of every connection on every loop.
    func shutdownConnections(grace: UInt64) {
        shutdownState.withLock { $0.started = true }
        let registries = self.registries
        for loop in group.loops {
            loop.execute {
                registries[loop].shuttingDown = true
                registries[loop].grace = grace
                for connection in Array(registries[loop].connections.values) { connection.beginShutdown(grace: grace) }
            }
        }
        notifyIfDrained()
    }

    /// Returns once shutdown has started and every connection is closed.
    func waitUntilDrained() async {
        await withCheckedContinuation { continuation in
            let resumeNow = shutdownState.withLock { state -> Bool in
                if state.started && openConnections.load(ordering: .relaxed) == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func notifyIfDrained() {
        let waiters = shutdownState.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard state.started, openConnections.load(ordering: .relaxed) == 0 else { return [] }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// The connections of one loop. Only that loop's thread touches it.
struct LoopRegistry {
    var connections: [ObjectIdentifier: ServerConnection] = [:]
    var rejectedHTTP = 0
    var shuttingDown = false
    var grace: UInt64 = 0
}
