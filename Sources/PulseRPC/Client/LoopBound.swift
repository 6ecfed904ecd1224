import PulseIO

/// A value that lives on one event loop: it may be passed anywhere but only read or changed on the
/// loop's thread, which is checked. This is how loop-owned client state crosses `@Sendable` closures.
final class LoopBound<Value>: @unchecked Sendable {
    let loop: EventLoop
    private var storage: Value

    init(_ value: Value, loop: EventLoop) {
        self.loop = loop
        self.storage = value
    }

    var value: Value {
        get {
            precondition(loop.inEventLoop, "loop-bound state read off its loop")
            return storage
        }
        set {
            precondition(loop.inEventLoop, "loop-bound state changed off its loop")
            storage = newValue
        }
    }
}
