import Logging
import PulseIO
import ServiceLifecycle
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("ProcessLifecycle")
struct ProcessLifecycleTests {
    /// A long-running part that records when it is told to stop and when it has stopped.
    struct RecordingPart: Service {
        let name: String
        let events: Events

        func run() async throws {
            events.started.add(1, ordering: .releasing)
            try? await gracefulShutdown()
            events.record("\(name) stopping")
            // Takes a while to stop: the part before it must not be told until this one is done.
            try? await Task.sleep(for: .milliseconds(50))
            events.record("\(name) stopped")
        }
    }

    final class Events: Sendable {
        let started = Atomic<Int>(0)
        private let log = Mutex<[String]>([])
        func record(_ line: String) { log.withLock { $0.append(line) } }
        var lines: [String] { log.withLock { $0 } }
    }

    @Test("one SIGTERM stops two parts, the last listed first, each only after the next has stopped")
    func sigtermStopsPartsInOrder() async throws {
        let events = Events()
        let lifecycle = ProcessLifecycle(
            parts: [RecordingPart(name: "store", events: events), RecordingPart(name: "server", events: events)],
            logger: Logger(label: "test"))
        async let running: Void = lifecycle.run()
        // Signals are trapped before any part starts, so once both run a SIGTERM cannot kill the process.
        while events.started.load(ordering: .acquiring) < 2 { try await Task.sleep(for: .milliseconds(1)) }
        kill(getpid(), SIGTERM)
        try await running
        #expect(events.lines == ["server stopping", "server stopped", "store stopping", "store stopped"])
    }

    @Test("a part that fails shuts the others down and its error comes out of run()")
    func failingPartStopsTheRest() async throws {
        struct Broken: Error {}
        struct FailingPart: Service {
            let events: Events
            func run() async throws {
                while events.started.load(ordering: .acquiring) < 1 { try await Task.sleep(for: .milliseconds(1)) }
                throw Broken()
            }
        }
        let events = Events()
        let lifecycle = ProcessLifecycle(
            parts: [RecordingPart(name: "server", events: events), FailingPart(events: events)], handlesSignals: false,
            logger: Logger(label: "test"))
        await #expect(throws: Broken.self) { try await lifecycle.run() }
        #expect(events.lines == ["server stopping", "server stopped"])
    }
}
