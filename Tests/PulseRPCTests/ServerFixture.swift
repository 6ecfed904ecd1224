import Logging
import PulseIO
import PulseProtocol
import PulseRPC
import Synchronization

/// What the test services observed, shared with the test body.
final class ServerProbe: Sendable {
    let cancelledCalls = Atomic<Int>(0)
    let streamedMessages = Atomic<Int>(0)
    let finishedCalls = Atomic<Int>(0)
}

/// Raw-bytes test methods under `/test.Probe/…`.
struct ProbeService: RPCService {
    let probe: ServerProbe
    let serviceName = "test.Probe"

    static func method(_ name: String, _ kind: GRPCMethod.Kind) -> GRPCMethod {
        GRPCMethod(service: "test.Probe", name: name, kind: kind)
    }

    var methods: [RPCMethodDefinition] {
        let probe = self.probe
        return [
            RPCMethodDefinition(
                method: Self.method("Echo", .unary),
                handler: .unary { body, _ in ResponseMessage(body: body) }),
            RPCMethodDefinition(
                method: Self.method("Metadata", .unary),
                handler: .unary { _, context in
                    let text = context.metadata["x-text"] ?? "-"
                    let binary = context.metadata.binary("x-data-bin") ?? []
                    return ResponseMessage(body: Array(text.utf8) + [0] + binary)
                }),
            // Waits until cancelled (or 10 s), counting cancellations.
            RPCMethodDefinition(
                method: Self.method("Hang", .unary),
                handler: .unary { body, _ in
                    do {
                        try await Task.sleep(nanoseconds: 10_000_000_000)
                    } catch {
                        probe.cancelledCalls.add(1, ordering: .relaxed)
                        throw error
                    }
                    return ResponseMessage(body: body)
                }),
            // Sleeps the number of milliseconds in the first byte, then answers.
            RPCMethodDefinition(
                method: Self.method("Sleep", .unary),
                handler: .unary { body, _ in
                    try await Task.sleep(nanoseconds: UInt64(body.first ?? 0) * 10_000_000)
                    probe.finishedCalls.add(1, ordering: .relaxed)
                    return ResponseMessage(body: body)
                }),
            // Streams N (the body as a big-endian UInt16) messages of 1 KiB, counting what it queued.
            RPCMethodDefinition(
                method: Self.method("Stream", .serverStreaming),
                handler: .serverStreaming { body, writer, _ in
                    let count = body.count >= 2 ? Int(body[0]) << 8 | Int(body[1]) : 0
                    for index in 0..<count {
                        try await writer.send([UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 1024))
                        probe.streamedMessages.add(1, ordering: .relaxed)
                    }
                }),
            // Throws an error that is not a status and whose description holds a credential.
            RPCMethodDefinition(
                method: Self.method("Crash", .unary),
                handler: .unary { _, _ in throw LeakyError() }),
            RPCMethodDefinition(
                method: Self.method("Fail", .unary),
                handler: .unary { _, _ in throw GRPCStatus(.failedPrecondition, "bad state: 100% sure\n") }),
        ]
    }
}

/// An error whose description names a host and a password, as a database driver's might.
struct LeakyError: Error, CustomStringConvertible {
    var description: String { "could not connect to postgres://pulse:s3cret@db.internal:5432/pulse" }
}

/// Keeps every log message, so a test can find what the server logged.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "test") { _ in CapturingLogHandler(log: self) }
    }

    struct CapturingLogHandler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            log.lines.withLock { $0.append(([event.message.description] + fields).joined(separator: " ")) }
        }
    }
}

enum ServerFixture {
    /// Runs `body` against a started server on a free port, then shuts everything down.
    static func withServer<T>(
        _ configure: (inout ServerConfiguration) -> Void = { _ in },
        services: (ServerProbe) -> [any RPCService] = { [ProbeService(probe: $0)] },
        interceptors: [any ServerInterceptor] = [],
        logger: Logger = Logger(label: "pulse.rpc"),
        _ body: (Int, RPCServer, ServerProbe) async throws -> T
    ) async throws -> T {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.loops = .exactly(2)
        configure(&configuration)
        let probe = ServerProbe()
        let group = try EventLoopGroup(loops: 2)
        let pool = try ComputePool(threads: 1)
        let blocking = try BlockingPool(threads: 1)
        let server = RPCServer(
            configuration: configuration, services: services(probe), group: group, computePool: pool,
            blockingPool: blocking, interceptors: interceptors, logger: logger)
        let address = try await server.start()
        do {
            let result = try await body(address.port, server, probe)
            server.initiateGracefulShutdown(gracePeriod: 0.1)
            await server.waitForShutdown()
            blocking.shutdown()
            pool.shutdown()
            group.shutdown()
            return result
        } catch {
            server.initiateGracefulShutdown(gracePeriod: 0.1)
            await server.waitForShutdown()
            blocking.shutdown()
            pool.shutdown()
            group.shutdown()
            throw error
        }
    }
}
