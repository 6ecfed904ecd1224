internal import CPulseLinux
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What a pool's threads are for; it names them and keeps the pools apart as types, so a database
/// call cannot be handed to the compute pool by mistake (``ComputePool``, ``BlockingPool``).
public protocol WorkerPoolRole: Sendable {
    /// The name the pool's threads carry (at most 15 characters, for `ps`/`top`).
    static var threadName: String { get }
}

/// CPU-heavy work: backtests, optimisation, large indicator batches.
public enum ComputeWork: WorkerPoolRole {
    public static var threadName: String { "pulse-compute" }
}

/// Calls that cannot be made non-blocking: libpq 15's `PQcancel`, `fsync`, `getaddrinfo`.
public enum BlockingWork: WorkerPoolRole {
    public static var threadName: String { "pulse-blocking" }
}

/// A few threads for CPU-heavy work, so a long computation never stalls an event loop.
///
/// ```swift
/// let pool = try ComputePool(threads: 2)
/// let sum = try await pool.run { (0..<1_000_000).reduce(0, +) }
/// ```
public typealias ComputePool = WorkerPool<ComputeWork>

/// A few threads for calls that block (`PQcancel`, `fsync`, name resolution), separate from the
/// compute pool: a backtest never waits behind a database call, nor the reverse.
///
/// ```swift
/// let blocking = try BlockingPool(threads: 2)
/// try await blocking.run { try file.fsync() }
/// ```
public typealias BlockingPool = WorkerPool<BlockingWork>

/// A fixed set of threads taking jobs from one FIFO queue. Async code awaits ``run(_:)``; when the task
/// prefers a loop executor it resumes on that loop.
public final class WorkerPool<Role: WorkerPoolRole>: Sendable {
    private let workers: WorkerThreads

    /// Starts `threads` worker threads (at least one).
    public init(threads count: Int = 2) throws(IOError) {
        workers = try WorkerThreads(count: count, name: Role.threadName)
    }

    /// Runs `body` on a pool thread and returns its result. Throws `CancellationError` when the
    /// task was cancelled before the work started.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try Task.checkCancellation()
        return try await withCheckedThrowingContinuation { continuation in
            workers.submit {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// Queues `work` for a pool thread.
    public func submit(_ work: @escaping @Sendable () -> Void) {
        workers.submit(work)
    }

    /// Lets queued work finish, then stops and joins the threads. Not from a pool thread.
    public func shutdown() {
        workers.shutdown()
    }

    /// Jobs queued and not yet taken by a thread (for metrics; read under the queue's lock).
    public var queueLength: Int { workers.queueLength }
}

/// The threads and queue behind a ``WorkerPool``.
// @unchecked: the semaphore pointer is only used through sem_* calls, which are thread-safe.
final class WorkerThreads: @unchecked Sendable {
    private let queue = Mutex<Queue>(Queue())
    private let available: UnsafeMutablePointer<sem_t>
    private let threads: Mutex<[pthread_t]>
    let name: String

    private struct Queue {
        var items: [@Sendable () -> Void] = []
        var head = 0
        var stopping = false
    }

    init(count: Int, name: String) throws(IOError) {
        self.name = name
        available = .allocate(capacity: 1)
        sem_init(available, 0, 0)
        threads = Mutex([])
        for _ in 0..<max(1, count) {
            let context = Unmanaged.passRetained(self).toOpaque()
            var handle = pthread_t()
            let rc = pthread_create(
                &handle, nil,
                { raw in
                    let workers = Unmanaged<WorkerThreads>.fromOpaque(raw!).takeRetainedValue()
                    _ = cpulse_set_thread_name(workers.name)
                    workers.work()
                    return nil
                }, context)
            if rc != 0 {
                Unmanaged<WorkerThreads>.fromOpaque(context).release()
                shutdown()
                throw IOError(operation: "pthread_create", errno: rc)
            }
            threads.withLock { $0.append(handle) }
        }
    }

    deinit {
        sem_destroy(available)
        available.deallocate()
    }

    var queueLength: Int { queue.withLock { $0.items.count - $0.head } }

    func submit(_ work: @escaping @Sendable () -> Void) {
        queue.withLock { $0.items.append(work) }
        sem_post(available)
    }

    func shutdown() {
        let handles = threads.withLock { handles in
            defer { handles.removeAll() }
            return handles
        }
        queue.withLock { $0.stopping = true }
        for _ in handles { sem_post(available) }
        for handle in handles { pthread_join(handle, nil) }
    }

    private func work() {
        while true {
            while sem_wait(available) != 0 {}  // EINTR
            let next: (@Sendable () -> Void)? = queue.withLock { queue in
                guard queue.head < queue.items.count else { return nil }
                let item = queue.items[queue.head]
                queue.head += 1
                if queue.head > 64 && queue.head * 2 > queue.items.count {
                    queue.items.removeFirst(queue.head)
                    queue.head = 0
                }
                return item
            }
            if let next {
                next()
            } else if queue.withLock({ $0.stopping }) {
                return
            }
        }
    }
}
