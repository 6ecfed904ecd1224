internal import CPulseLinux
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One thread running an epoll loop: I/O readiness, timers (one timerfd) and work submitted from
/// any thread (woken through one eventfd). Also a `TaskExecutor`, so async code started with
/// `Task(executorPreference: loop)` starts and resumes on this thread.
///
/// Everything except ``execute(_:)``, ``enqueue(_:)``, ``stop()`` and ``inEventLoop`` must be
/// called on the loop's own thread; state touched only there needs no locks.
///
/// ```swift
/// let loop = try EventLoop(index: 0)
/// loop.execute { print("on the loop") }
/// ```
public final class EventLoop: TaskExecutor, @unchecked Sendable {
    /// The loop's position in its group (0 for a lone loop).
    public let index: Int

    private let epollFD: Int32
    private let wakeFD: Int32
    private let timerFD: Int32

    /// Work handed over by other threads; drained when the eventfd fires.
    private let inbox = Mutex<[() -> Void]>([])
    private let inboxJobs = Mutex<[UnownedJob]>([])
    private let wakePending = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    private let threadID = Atomic<UInt>(0)
    private let finished = Mutex<Bool>(false)
    private var thread: pthread_t?

    // Loop-thread state.
    private var handlers: [Int32: any IOHandler] = [:]
    private var readyJobs: [UnownedJob] = []
    private var readyWork: [() -> Void] = []
    private var tickEndWork: [() -> Void] = []
    private var timers = TimerQueue()
    private var armedDeadline: UInt64 = .max

    /// A 64 KiB buffer for reads on this loop, shared by all its connections: a read is consumed
    /// before the next one starts, so one buffer per loop (not per connection) is enough. Loop thread only.
    public let readScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    /// Creates the loop's descriptors and starts its thread.
    public init(index: Int = 0) throws(IOError) {
        self.index = index
        epollFD = try IOError.check("epoll_create1", epoll_create1(Int32(EPOLL_CLOEXEC)))
        wakeFD = try IOError.check("eventfd", eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)))
        timerFD = try IOError.check(
            "timerfd_create", timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC)))
        try addInternal(wakeFD)
        try addInternal(timerFD)
        try startThread()
    }

    deinit {
        readScratch.deallocate()
        close(epollFD)
        close(wakeFD)
        close(timerFD)
    }

    /// True when called on this loop's thread.
    public var inEventLoop: Bool {
        pthread_equal(pthread_self(), pthread_t(threadID.load(ordering: .acquiring))) != 0
    }

    // MARK: Submitting work

    /// Runs `work` on the loop thread soon; callable from any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        if inEventLoop {
            readyWork.append(work)
            return
        }
        inbox.withLock { $0.append(work) }
        wake()
    }

    /// Runs `work` on the loop thread in the current iteration. Loop thread only.
    public func executeOnLoop(_ work: @escaping () -> Void) {
        assertInLoop()
        readyWork.append(work)
    }

    /// Runs `work` once, after this iteration's events and jobs: the place to flush coalesced output.
    public func atTickEnd(_ work: @escaping () -> Void) {
        assertInLoop()
        tickEndWork.append(work)
    }

    /// `TaskExecutor`: jobs of tasks that prefer this loop run on its thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        if inEventLoop {
            readyJobs.append(unowned)
            return
        }
        inboxJobs.withLock { $0.append(unowned) }
        wake()
    }

    // MARK: Timers

    /// Calls `callback` on the loop after `nanoseconds`. Loop thread only.
    @discardableResult
    public func scheduleTimer(afterNanoseconds nanoseconds: UInt64, _ callback: @escaping () -> Void) -> TimerHandle {
        scheduleTimer(deadline: MonotonicClock.now() &+ nanoseconds, callback)
    }

    /// Calls `callback` on the loop at the monotonic `deadline` (see ``MonotonicClock``). Loop thread only.
    @discardableResult
    public func scheduleTimer(deadline: UInt64, _ callback: @escaping () -> Void) -> TimerHandle {
        assertInLoop()
        return timers.schedule(deadline: deadline, callback)
    }

    /// Cancels a pending timer; returns false when it already fired or was cancelled. Loop thread only.
    @discardableResult
    public func cancelTimer(_ handle: TimerHandle) -> Bool {
        assertInLoop()
        return timers.cancel(handle)
    }

    // MARK: Descriptors

    /// Watches `fd` for `interest`; the loop calls `handler` on readiness. Loop thread only.
    public func register(fd: Int32, interest: IOEvents, handler: any IOHandler) throws(IOError) {
        assertInLoop()
        var event = epoll_event(events: interest.rawValue | EPOLLRDHUP.rawValue, data: epoll_data_t(fd: fd))
        try IOError.check("epoll_ctl(ADD)", epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event))
        handlers[fd] = handler
    }

    /// Changes the interest set of a registered `fd`. Loop thread only.
    public func reregister(fd: Int32, interest: IOEvents) throws(IOError) {
        assertInLoop()
        var event = epoll_event(events: interest.rawValue | EPOLLRDHUP.rawValue, data: epoll_data_t(fd: fd))
        try IOError.check("epoll_ctl(MOD)", epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event))
    }

    /// Stops watching `fd` (the caller still owns and closes it). Loop thread only.
    public func deregister(fd: Int32) {
        assertInLoop()
        var event = epoll_event()
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
        handlers[fd] = nil
    }

    // MARK: Lifecycle

    /// Asks the loop to exit after the work already queued; callable from any thread.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        wake()
    }

    /// Waits for the loop thread to exit (call ``stop()`` first). Not from the loop thread itself.
    public func join() {
        precondition(!inEventLoop, "EventLoop.join() called on its own thread")
        let alreadyJoined = finished.withLock { done in
            defer { done = true }
            return done
        }
        if !alreadyJoined, let thread { pthread_join(thread, nil) }
    }

    @inline(__always)
    private func assertInLoop() {
        assert(inEventLoop, "EventLoop API used off its thread")
    }

    private func wake() {
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    private func addInternal(_ fd: Int32) throws(IOError) {
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: fd))
        try IOError.check("epoll_ctl(ADD)", epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event))
    }

    private func startThread() throws(IOError) {
        let context = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(
            &handle, nil,
            { raw in
                let loop = Unmanaged<EventLoop>.fromOpaque(raw!).takeRetainedValue()
                loop.runLoop()
                return nil
            }, context)
        if rc != 0 {
            Unmanaged<EventLoop>.fromOpaque(context).release()
            throw IOError(operation: "pthread_create", errno: rc)
        }
        thread = handle
    }
}

extension EventLoop {
    /// The thread body: wait for readiness, dispatch, run ready work, flush, repeat.
    fileprivate func runLoop() {
        threadID.store(UInt(pthread_self()), ordering: .releasing)
        _ = cpulse_set_thread_name("pulse-loop-\(index)")
        let capacity = 128
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        drainInbox()
        while true {
            runReady()
            if stopRequested.load(ordering: .acquiring) && readyJobs.isEmpty && readyWork.isEmpty {
                break
            }
            armTimer()
            let timeout: Int32 = readyJobs.isEmpty && readyWork.isEmpty ? -1 : 0
            let count = epoll_wait(epollFD, events, Int32(capacity), timeout)
            if count < 0 { continue }  // EINTR
            for i in 0..<Int(count) {
                let fd = events[i].data.fd
                let ready = IOEvents(rawValue: events[i].events)
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)
                    wakePending.store(false, ordering: .releasing)
                    drainInbox()
                } else if fd == timerFD {
                    var value: UInt64 = 0
                    _ = Glibc.read(timerFD, &value, 8)
                    armedDeadline = .max
                    fireTimers()
                } else if let handler = handlers[fd] {
                    handler.handleIO(ready)
                }
            }
            // Timers may be due without the timerfd having fired yet in this iteration.
            if let next = timers.earliestDeadline(), next <= MonotonicClock.now() { fireTimers() }
        }
        runReady()
    }

    private func drainInbox() {
        let work = inbox.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        readyWork.append(contentsOf: work)
        let jobs = inboxJobs.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        readyJobs.append(contentsOf: jobs)
    }

    /// Runs queued closures and task jobs until none are left (bounded, so I/O is not starved),
    /// then the tick-end work such as output flushes.
    private func runReady() {
        var rounds = 0
        while (!readyJobs.isEmpty || !readyWork.isEmpty) && rounds < 16 {
            rounds += 1
            if !readyWork.isEmpty {
                let work = readyWork
                readyWork.removeAll(keepingCapacity: true)
                for item in work { item() }
            }
            if !readyJobs.isEmpty {
                let jobs = readyJobs
                readyJobs.removeAll(keepingCapacity: true)
                let executor = asUnownedTaskExecutor()
                for job in jobs { job.runSynchronously(on: executor) }
            }
        }
        while !tickEndWork.isEmpty {
            let work = tickEndWork
            tickEndWork.removeAll(keepingCapacity: true)
            for item in work { item() }
        }
    }

    private func fireTimers() {
        for callback in timers.takeExpired(now: MonotonicClock.now()) { callback() }
    }

    private func armTimer() {
        guard let deadline = timers.earliestDeadline() else { return }
        if deadline == armedDeadline { return }
        armedDeadline = deadline
        var spec = itimerspec()
        let target = max(deadline, 1)
        spec.it_value.tv_sec = Int(target / 1_000_000_000)
        spec.it_value.tv_nsec = Int(target % 1_000_000_000)
        timerfd_settime(timerFD, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }
}
