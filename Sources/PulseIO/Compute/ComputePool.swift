internal import CPulseLinux
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A few threads for CPU-heavy work, so a long computation never stalls an event loop.
///
/// Async code awaits ``run(_:)``; when the task prefers a loop executor it resumes on that loop.
///
/// ```swift
/// let pool = try ComputePool(threads: 2)
/// let sum = try await pool.run { (0..<1_000_000).reduce(0, +) }
/// ```
// @unchecked: the semaphore pointer is only used through sem_* calls, which are thread-safe.
public final class ComputePool: @unchecked Sendable {
    private let queue = Mutex<Queue>(Queue())
    private let available: UnsafeMutablePointer<sem_t>
    private let threads: Mutex<[pthread_t]>

    private struct Queue {
        var items: [@Sendable () -> Void] = []
        var head = 0
        var stopping = false
    }

    /// Starts `threads` worker threads (at least one).
    public init(threads count: Int = 2) throws(IOError) {
        available = .allocate(capacity: 1)
        sem_init(available, 0, 0)
        threads = Mutex([])
        for _ in 0..<max(1, count) {
            let context = Unmanaged.passRetained(self).toOpaque()
            var handle = pthread_t()
            let rc = pthread_create(
                &handle, nil,
                { raw in
                    let pool = Unmanaged<ComputePool>.fromOpaque(raw!).takeRetainedValue()
                    _ = cpulse_set_thread_name("pulse-compute")
                    pool.work()
                    return nil
                }, context)
            if rc != 0 {
                Unmanaged<ComputePool>.fromOpaque(context).release()
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

    /// Runs `body` on a pool thread and returns its result. Throws `CancellationError` when the
    /// task was cancelled before the work started.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try Task.checkCancellation()
        return try await withCheckedThrowingContinuation { continuation in
            submit {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// Queues `work` for a pool thread.
    public func submit(_ work: @escaping @Sendable () -> Void) {
        queue.withLock { $0.items.append(work) }
        sem_post(available)
    }

    /// Lets queued work finish, then stops and joins the threads. Not from a pool thread.
    public func shutdown() {
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
