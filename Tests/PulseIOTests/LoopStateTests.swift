import PulseIO
import Testing

@Suite("Loop-local state and submit")
struct LoopStateTests {
    /// A counter owned by one loop, deliberately not thread-safe.
    final class Counter {
        var value = 0
        let createdOn: Int
        init(createdOn: Int) { self.createdOn = createdOn }
    }

    @Test("each loop sees only its own value, and only on its own thread")
    func loopLocalValuePerLoop() async throws {
        try await EventLoopGroup.withGroup(loops: 2) { group in
            let counters = LoopLocal(group: group) { Counter(createdOn: $0.index) }
            for (index, loop) in group.loops.enumerated() {
                for _ in 0...index {
                    await loop.submit { counters[loop].value += 10 }
                }
            }
            let seen = await counters.collect { ($0.createdOn, $0.value) }
            #expect(seen.map(\.0) == [0, 1])
            #expect(seen.map(\.1) == [10, 20])
            // Read on each loop: the value belongs to the loop whose thread reads it.
            let onOwnThread = await group.loops[1].submit {
                group.loops[1].inEventLoop && counters[group.loops[1]].value == 20
            }
            #expect(onOwnThread)
        }
    }

    @Test("a value-typed loop-local is mutated in place on its loop")
    func loopLocalValueType() async throws {
        try await EventLoopGroup.withGroup(loops: 2) { group in
            let totals = LoopLocal(group: group) { _ in [Int]() }
            let loop = group.loops[0]
            await loop.submit {
                totals[loop].append(1)
                totals[loop].append(2)
            }
            #expect(await totals.collect { $0 } == [[1, 2], []])
        }
    }

    @Test("submit from another thread runs on the loop and returns the result")
    func submitFromAnotherThread() async throws {
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            // A detached task runs on the global executor's threads, never on the loop's.
            let (callerOnLoop, bodyOnLoop, value) = await Task.detached {
                let callerOnLoop = loop.inEventLoop
                let (bodyOnLoop, value) = await loop.submit { (loop.inEventLoop, 6 * 7) }
                return (callerOnLoop, bodyOnLoop, value)
            }.value
            #expect(!callerOnLoop)
            #expect(bodyOnLoop)
            #expect(value == 42)
        }
    }

    @Test("submit hands non-Sendable state to the loop and rethrows the body's error")
    func submitSendingAndThrowing() async throws {
        struct Refused: Error {}
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let counter = Counter(createdOn: -1)  // not Sendable: handed over, never used here again
            let bound = try await loop.submit {
                counter.value = 5
                return LoopBound(counter, loop: loop)
            }
            #expect(try await bound.submit { $0.value } == 5)
            await #expect(throws: Refused.self) {
                try await loop.submit { () throws -> Int in throw Refused() }
            }
        }
    }

    @Test("submit on the loop itself runs at once")
    func submitOnLoopRunsInline() async throws {
        try await EventLoopGroup.withGroup(loops: 1) { group in
            let loop = group.loops[0]
            let order = try await Task(executorPreference: loop) { () async -> [Int] in
                var order: [Int] = []
                order.append(1)
                order.append(await loop.submit { 2 })
                order.append(3)
                return order
            }.value
            #expect(order == [1, 2, 3])
        }
    }
}
