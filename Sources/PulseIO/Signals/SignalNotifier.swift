internal import CPulseLinux
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The eventfd that the process-wide signal handler writes to. A signal handler gets no user
/// data, so this one descriptor is necessarily global; the handler only does an
/// async-signal-safe `write`.
private let signalWakeFD = Atomic<Int32>(-1)

/// Turns SIGTERM/SIGINT into a callback on an event loop.
///
/// A `sigaction` handler writes to an eventfd that the loop watches, so the signal is handled on
/// the loop thread like any other event, whichever thread the kernel delivered it to (blocking the
/// signals in every thread is not possible once the Swift runtime has started its own threads).
public final class SignalNotifier: IOHandler {
    private let loop: EventLoop
    private let fd: Int32
    private let signals: [Int32]
    private let onSignal: (Int32) -> Void
    private var received: Int32 = 0

    /// Installs handlers for `signals` (default SIGTERM and SIGINT) and calls `onSignal` on `loop` for each delivery. Call on `loop`.
    public init(loop: EventLoop, signals: [Int32] = [15, 2], onSignal: @escaping (Int32) -> Void)
        throws(IOError)
    {
        self.loop = loop
        self.signals = signals
        self.onSignal = onSignal
        fd = try IOError.check("eventfd", eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)))
        signalWakeFD.store(fd, ordering: .releasing)
        try loop.register(fd: fd, interest: .readable, handler: self)
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                let target = signalWakeFD.load(ordering: .acquiring)
                guard target >= 0 else { return }
                // The signal number travels as the eventfd's counter increment.
                var value = UInt64(number)
                _ = Glibc.write(target, &value, 8)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, nil)
        }
    }

    deinit {
        Glibc.close(fd)
    }

    /// Restores the default dispositions and stops watching. Call on the loop.
    public func cancel() {
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = SIG_DFL
            sigaction(signal, &action, nil)
        }
        signalWakeFD.store(-1, ordering: .releasing)
        loop.deregister(fd: fd)
    }

    public func handleIO(_ events: IOEvents) {
        var value: UInt64 = 0
        guard Glibc.read(fd, &value, 8) == 8 else { return }
        // Several signals may have been summed; report SIGTERM when the sum is not a single number.
        let number = signals.contains(Int32(truncatingIfNeeded: value)) ? Int32(value) : SIGTERM
        onSignal(number)
    }
}

@available(*, unavailable)
extension SignalNotifier: Sendable {}
