/// A reference to an object that lives on one event loop: the reference may be passed anywhere (it is
/// `Sendable`), but the object is only used on the loop's thread, which every access checks.
///
/// This is how loop-owned state (a connection, an acceptor, a stream) crosses `@Sendable` closures and
/// task boundaries. A struct: binding an object costs no allocation.
///
/// ```swift
/// let acceptor = try await loop.submit { LoopBound(try Acceptor(on: loop), loop: loop) }
/// loop.execute { acceptor.value.stop() }
/// ```
// @unchecked: `object` is used only on `loop`'s thread, which `value` checks.
public struct LoopBound<Object: AnyObject>: @unchecked Sendable {
    /// The loop that owns the object.
    public let loop: EventLoop
    private let object: Object

    /// Binds `object` to `loop`. It may be created anywhere, but from now on it is used only on `loop`.
    public init(_ object: Object, loop: EventLoop) {
        self.loop = loop
        self.object = object
    }

    /// The object; only on ``loop``'s thread.
    public var value: Object {
        precondition(loop.inEventLoop, "loop-bound state used off its loop")
        return object
    }

    /// Runs `body` with the object on its loop, without waiting; callable from any thread.
    public func execute(_ body: @escaping @Sendable (Object) -> Void) {
        let bound = self
        loop.execute { body(bound.value) }
    }

    /// Runs `body` with the object on its loop and returns the result; callable from any thread.
    public func submit<T: Sendable>(_ body: @escaping @Sendable (Object) throws -> T) async throws -> T {
        let bound = self
        return try await loop.submit { try body(bound.value) }
    }
}
