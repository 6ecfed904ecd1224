import ServiceLifecycle
import UnixSignals

/// SIGHUP, the conventional "reload your files" signal, beside ``ProcessLifecycle``'s SIGTERM and SIGINT.
public enum ReloadSignal {
    /// Calls `reload` on every SIGHUP until the task is cancelled or the graceful shutdown begins.
    public static func onEach(_ reload: @escaping @Sendable () async -> Void) async {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            await reload()
        }
    }
}
