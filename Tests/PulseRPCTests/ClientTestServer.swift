import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A server process for client tests: `pulse serve` or the grpcio peer, on a free port.
struct ClientTestServer {
    /// Which implementation answers.
    enum Kind: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case pulse
        case grpcio

        var testDescription: String { rawValue }
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The Python with grpcio: $PULSE_PYTHON, else the project's .venv.
    static var python: String? {
        let candidates: [String?] = [
            ProcessInfo.processInfo.environment["PULSE_PYTHON"],
            repository.appendingPathComponent(".venv/bin/python").path,
        ]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The `pulse` binary: $PULSE_BIN, else this checkout's debug build.
    static var pulseBinary: String {
        ProcessInfo.processInfo.environment["PULSE_BIN"]
            ?? repository.appendingPathComponent(".build/debug/pulse").path
    }

    /// Under CI (`CI=true`) a missing server must fail the run, never shrink a suite to zero passing cases.
    static var isCI: Bool {
        ["true", "1", "yes"].contains(ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? "")
    }

    /// Whether tests against `kind` run: always under CI, elsewhere only when the server can be started.
    static func shouldTest(_ kind: Kind) -> Bool { isCI || isAvailable(kind) }

    static func isAvailable(_ kind: Kind) -> Bool {
        switch kind {
        case .pulse: return FileManager.default.isExecutableFile(atPath: pulseBinary)
        case .grpcio: return python != nil
        }
    }

    let process: Process
    let host: String
    let port: Int

    /// Starts a server and waits for its `listening on HOST:PORT` line.
    init(_ kind: Kind, port requestedPort: Int = 0) throws {
        let (process, fd) = try Self.launch(kind, port: requestedPort)
        try self.init(kind, process: process, line: Self.readLine(from: fd, timeoutMilliseconds: 30_000))
    }

    private init(_ kind: Kind, process: Process, line: String?) throws {
        self.process = process
        guard let line, line.hasPrefix("listening on ") else {
            process.terminate()
            throw ServerDidNotStart(kind: kind, output: line ?? "")
        }
        let address = line.dropFirst("listening on ".count)
        let colon = address.lastIndex(of: ":")!
        host = String(address[..<colon])
        port = Int(address[address.index(after: colon)...])!
    }

    /// Runs the server's process (on the calling thread: Foundation watches a child from the thread that ran it)
    /// and returns it with the descriptor its first line comes on.
    private static func launch(_ kind: Kind, port requestedPort: Int) throws -> (Process, Int32) {
        let process = Process()
        switch kind {
        case .pulse:
            process.executableURL = URL(fileURLWithPath: Self.pulseBinary)
            process.arguments = ["serve", "--port", String(requestedPort)]
        case .grpcio:
            process.executableURL = URL(fileURLWithPath: Self.python ?? "/usr/bin/python3")
            process.arguments = [
                Self.repository.appendingPathComponent("Tests/interop/grpc_peer_server.py").path, "--port",
                String(requestedPort),
            ]
        }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, output.fileHandleForReading.fileDescriptor)
    }

    /// SIGTERM, then waits for the exit (SIGKILL after 15 s, so a server that missed the signal cannot hang the
    /// suite); returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + .seconds(15)
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// `init`, with the wait for the first line on a thread of its own: waiting for a Python server must not hold
    /// a thread of the cooperative pool (on 2 cores two such waits stall every other test, deadline tests included).
    static func started(_ kind: Kind, port: Int = 0) async throws -> ClientTestServer {
        let (process, fd) = try launch(kind, port: port)
        let line = await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            Thread { continuation.resume(returning: readLine(from: fd, timeoutMilliseconds: 30_000)) }.start()
        }
        return try ClientTestServer(kind, process: process, line: line)
    }

    /// Runs `body` with a fresh server of `kind`, stopping it afterwards.
    static func with<T>(_ kind: Kind, _ body: (ClientTestServer) async throws -> T) async throws -> T {
        let server = try await started(kind)
        defer { server.stop() }
        return try await body(server)
    }

    struct ServerDidNotStart: Error, CustomStringConvertible {
        let kind: Kind
        let output: String
        var description: String { "the \(kind) server did not print `listening on`: \(output)" }
    }

    private static func readLine(from fd: Int32, timeoutMilliseconds: Int32) -> String? {
        var bytes: [UInt8] = []
        var remaining = timeoutMilliseconds
        while remaining > 0 {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let started = DispatchTime.now()
            guard poll(&poller, 1, remaining) > 0 else { return nil }
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { return nil }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
            remaining -= Int32((DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1_000_000)
        }
        return nil
    }
}
