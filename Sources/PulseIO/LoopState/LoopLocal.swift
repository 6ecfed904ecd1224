/// One value per loop of a group — a hiredis context, a libcurl multi handle, a share of a database
/// pool, per-loop counters — each touched only on its own loop's thread, so none needs a lock.
///
/// ```swift
/// let counters = LoopLocal(group: group) { _ in Counters() }
/// loop.execute { counters[loop].calls += 1 }           // on `loop`
/// let all = await counters.collect { $0.calls }          // from anywhere: each read on its loop
/// ```
// @unchecked: slot i is touched only on loop i's thread, which every accessor checks.
public final class LoopLocal<Value>: @unchecked Sendable {
    private final class Slot {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    /// The loops, in index order.
    public let loops: [EventLoop]
    private let slots: [Slot]

    /// Creates one value per loop of `group` with `make` (called here, on the calling thread, once per
    /// loop; from then on each value is touched only on its loop).
    public init(group: EventLoopGroup, _ make: (EventLoop) throws -> Value) rethrows {
        loops = group.loops
        slots = try group.loops.map { Slot(try make($0)) }
    }

    /// The value of `loop`; get and set only on `loop`'s thread. Reads borrow the value in place (`_read`), so
    /// `state[loop].field` copies the field, not the whole value (per-call paths read it on every call).
    public subscript(loop: EventLoop) -> Value {
        _read { yield slot(loop).value }
        _modify { yield &slot(loop).value }
        set { slot(loop).value = newValue }
    }

    /// Reads every loop's value on its own loop, in loop order; callable from anywhere (not from a loop of
    /// the group, which would wait for itself only when it is the one running).
    public func collect<T: Sendable>(_ read: @escaping @Sendable (Value) -> T) async -> [T] {
        var results: [T] = []
        results.reserveCapacity(loops.count)
        for loop in loops {
            results.append(await loop.submit { read(self[loop]) })
        }
        return results
    }

    /// Runs `body` on every loop with that loop and its value, without waiting; callable from anywhere.
    public func forEach(_ body: @escaping @Sendable (EventLoop, inout Value) -> Void) {
        for loop in loops {
            loop.execute { body(loop, &self[loop]) }
        }
    }

    private func slot(_ loop: EventLoop) -> Slot {
        precondition(loop.inEventLoop, "loop-local state used off its loop")
        let index = loop.index
        precondition(index < loops.count && loops[index] === loop, "loop-local state used on a loop of another group")
        return slots[index]
    }
}
