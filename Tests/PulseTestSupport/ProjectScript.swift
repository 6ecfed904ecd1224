import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one of the project's scripts (`scripts/redis.sh start …`) for a test and waits for it.
///
/// Not Foundation's `Process`: on Linux it learns that a child exited through a pipe the child inherits,
/// so a script that leaves a daemon behind (Redis, PostgreSQL) would never be seen to finish; and a child
/// spawned from a Dispatch thread inherits that thread's fully blocked signal mask, so the daemon would
/// ignore the SIGTERM that stops it. Here the child gets /dev/null for its standard streams, no other
/// descriptors (they are close-on-exec), an empty signal mask and default signal handlers.
public enum ProjectScript {
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    public struct Failed: Error, CustomStringConvertible {
        var command: [String]
        /// The raw `waitpid` status (exit code × 256), or a `posix_spawn` error, or -1 for a timeout.
        var status: Int32
        /// The end of what the script wrote to standard error, so a CI log says why it failed.
        var standardError: String
        public init(command: [String], status: Int32, standardError: String = "") {
            self.command = command
            self.status = status
            self.standardError = standardError
        }
        public var description: String {
            let exit =
                status > 0 && status & 0x7F == 0
                ? "exited with code \((status >> 8) & 0xFF)" : "ended with status \(status)"
            let said = standardError.isEmpty ? "" : "; it said:\n\(standardError)"
            return "\(command.joined(separator: " ")) \(exit)\(said)"
        }
    }

    /// Runs `scripts/NAME ARGUMENTS…` with bash on a thread of its own and waits for it without holding a thread
    /// of the cooperative pool (on 2 cores, two tests waiting for `initdb` would otherwise stall every other test);
    /// throws when it exits non-zero.
    public static func run(_ name: String, _ arguments: [String]) async throws {
        try await offThePool { try runBlocking(name, arguments) }
    }

    /// Runs `work` on a new thread and waits for it without blocking a thread of the cooperative pool.
    public static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// Starts a test peer that writes the port it bound to `portFile` (the fakes in `Tests/interop`), and waits for
    /// that port without blocking a thread: up to 30 s, since on a busy 2-core machine a Python start can take
    /// seconds. On failure the child is killed and reaped.
    public static func spawnListening(_ command: [String], portFile: String) async throws -> (pid: pid_t, port: Int) {
        let pid = try spawn(command)
        let started = ContinuousClock.now
        var polls = 0
        while true {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) {
                return (pid, port)
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { throw Failed(command: command, status: status) }
            // 30 s counted in polls as well as on the clock: a task the pool left waiting past the deadline still
            // looks again when it wakes.
            polls += 1
            if polls >= 1_200 && ContinuousClock.now - started > .seconds(30) { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        throw Failed(command: command, status: -1)
    }

    /// `run`, blocking the calling thread (for `defer` teardown, which cannot wait).
    public static func runBlocking(_ name: String, _ arguments: [String]) throws {
        let command = ["/bin/bash", repository.appendingPathComponent("scripts/\(name)").path] + arguments
        let errors = NSTemporaryDirectory() + "pulse-script-\(UUID().uuidString).err"
        defer { unlink(errors) }
        let pid = try spawn(command, standardError: errors)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitStatus = (status >> 8) & 0xFF
        guard status & 0x7F == 0, exitStatus == 0 else {
            let said = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            throw Failed(command: command, status: status, standardError: String(said.suffix(4_000)))
        }
    }

    /// Starts `command` (an absolute path and its arguments) in the background with a clean signal mask and
    /// /dev/null for its standard streams (standard error to `standardError` when given; a daemon the command
    /// leaves behind must not inherit that file, so the scripts send theirs to logs of their own); returns its pid
    /// (stop it with `kill` and reap it with `waitpid`).
    public static func spawn(_ command: [String], standardError: String? = nil) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 2, standardError ?? "/dev/null", standardError == nil ? O_WRONLY : O_WRONLY | O_CREAT | O_TRUNC,
            0o600)
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw Failed(command: command, status: spawned) }
        return pid
    }
}
