import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A fixed set of ``EventLoop``s, one thread each: by default one per core.
///
/// ```swift
/// try await EventLoopGroup.withGroup(loops: 2) { group in
///     let loop = group.next()
/// }
/// ```
public final class EventLoopGroup: Sendable {
    /// The loops, in index order.
    public let loops: [EventLoop]
    private let cursor = Atomic<Int>(0)

    /// The number of online cores, the default loop count.
    public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Starts `loops` loops (at least one).
    public init(loops: Int = EventLoopGroup.coreCount) throws(IOError) {
        var started: [EventLoop] = []
        for index in 0..<max(1, loops) {
            do {
                started.append(try EventLoop(index: index))
            } catch {
                for loop in started { loop.stop() }
                for loop in started { loop.join() }
                throw error
            }
        }
        self.loops = started
    }

    /// The next loop, round-robin: how new connections are spread.
    public func next() -> EventLoop {
        let position = cursor.wrappingAdd(1, ordering: .relaxed).oldValue
        return loops[position % loops.count]
    }

    /// Stops every loop and waits for their threads. Do not call from a loop thread.
    public func shutdown() {
        for loop in loops { loop.stop() }
        for loop in loops { loop.join() }
    }

    /// Runs `body` with a fresh group and shuts the group down afterwards, also when `body` throws.
    public static func withGroup<T>(
        loops: Int = EventLoopGroup.coreCount, _ body: (EventLoopGroup) async throws -> T
    ) async throws -> T {
        let group = try EventLoopGroup(loops: loops)
        do {
            let result = try await body(group)
            group.shutdown()
            return result
        } catch {
            group.shutdown()
            throw error
        }
    }
}
