private import CHiredis
import PulseIO

/// One hiredis 0.14 asynchronous connection, driven by an event loop: hiredis' adapter hooks set the
/// descriptor's interest, the loop's readiness calls back into hiredis. Commands are pipelined (hiredis
/// queues them and writes when the socket allows); replies arrive in order.
///
/// hiredis frees its context itself when the connection fails or is closed; the `cleanup` hook tells us,
/// and from then on this object only answers `.unavailable`. Loop thread only.
final class RedisConnection: IOHandler {
    typealias Completion = (Result<RedisValue, RedisError>) -> Void

    private struct Pending {
        var completion: Completion
        var timer: TimerHandle?
    }

    let loop: EventLoop
    private var context: UnsafeMutablePointer<redisAsyncContext>?
    private var fd: Int32 = -1
    private var interest: IOEvents = []
    private var registered = false
    private var pending: [UInt: Pending] = [:]
    private var nextID: UInt = 1
    private var connectTimer: TimerHandle?
    /// Set while hiredis is calling us: freeing its context then would pull the ground from under it.
    private var inCallback = 0
    private var closeRequested = false

    /// Called once when the connection is up (after AUTH and SELECT succeeded).
    var onReady: (() -> Void)?
    /// Called once when the connection is gone, with why.
    var onClosed: ((RedisError) -> Void)?
    private(set) var isReady = false

    private let commandTimeout: Duration

    /// Starts connecting to `configuration`'s numeric address; `onReady` or `onClosed` follows within `timeout`
    /// (the configuration's connect timeout when nil).
    init(configuration: RedisConfiguration, loop: EventLoop, timeout: Duration? = nil) throws(RedisError) {
        let connectTimeout = timeout ?? configuration.connectTimeout
        self.loop = loop
        self.commandTimeout = configuration.commandTimeout
        guard let context = redisAsyncConnect(configuration.host, Int32(configuration.port)) else {
            throw RedisError(.unavailable, "cannot create a Redis connection (out of memory)")
        }
        if context.pointee.err != 0 {
            let reason = String(cString: context.pointee.errstr)
            redisAsyncFree(context)
            throw RedisError(.unavailable, "cannot connect to Redis: \(Self.withoutAddress(reason))")
        }
        self.context = context
        self.fd = context.pointee.c.fd
        let me = Unmanaged.passUnretained(self).toOpaque()
        context.pointee.data = me
        context.pointee.ev.data = me
        context.pointee.ev.addRead = { RedisConnection.owner($0)?.setInterest(.readable, on: true) }
        context.pointee.ev.delRead = { RedisConnection.owner($0)?.setInterest(.readable, on: false) }
        context.pointee.ev.addWrite = { RedisConnection.owner($0)?.setInterest(.writable, on: true) }
        context.pointee.ev.delWrite = { RedisConnection.owner($0)?.setInterest(.writable, on: false) }
        context.pointee.ev.cleanup = { RedisConnection.owner($0)?.contextFreed() }
        redisAsyncSetConnectCallback(context) { context, status in
            guard let raw = context?.pointee.data else { return }
            Unmanaged<RedisConnection>.fromOpaque(raw).takeUnretainedValue().connected(status == REDIS_OK)
        }
        redisAsyncSetDisconnectCallback(context) { context, status in
            guard let raw = context?.pointee.data else { return }
            Unmanaged<RedisConnection>.fromOpaque(raw).takeUnretainedValue().disconnected(clean: status == REDIS_OK)
        }
        // hiredis 0.14 learns that a non-blocking connect finished from the first writable event.
        setInterest(.writable, on: true)
        connectTimer = loop.scheduleTimer(afterNanoseconds: connectTimeout.wholeNanoseconds) {
            [weak self] in
            guard let self, !self.isReady else { return }
            self.fail(RedisError(.unavailable, "connecting to Redis timed out"))
        }
        if let password = configuration.password {
            let auth: [RedisArgument] =
                configuration.username.map { ["AUTH", RedisArgument($0), RedisArgument(password)] }
                ?? ["AUTH", RedisArgument(password)]
            send(auth, timeout: connectTimeout) { [weak self] in self?.checkSetup($0, "AUTH") }
        }
        if configuration.database != 0 {
            send(["SELECT", RedisArgument(configuration.database)], timeout: connectTimeout) {
                [weak self] in self?.checkSetup($0, "SELECT")
            }
        }
        // A PING after the setup commands: its reply means everything before it succeeded. An error reply means
        // Redis is not ready (`LOADING` while it reads its AOF after a restart): this attempt ends at once, so the
        // next one comes after a short delay instead of this one waiting out the connect timeout.
        send(["PING"], timeout: connectTimeout) { [weak self] result in
            guard let self, self.context != nil else { return }
            if case .failure(let error) = result {
                if error.code == .server { self.fail(RedisError(.unavailable, "Redis is not ready: \(error.message)")) }
                return
            }
            self.isReady = true
            if let timer = self.connectTimer { self.loop.cancelTimer(timer) }
            self.onReady?()
        }
    }

    deinit {
        // Detach first: freeing the context calls the hooks and reply callbacks, which must not reach us.
        if let context {
            context.pointee.data = nil
            context.pointee.ev.data = nil
            if registered { loop.deregister(fd: fd) }
            redisAsyncFree(context)
        }
        for entry in pending.values { entry.completion(.failure(RedisError(.closed, "the Redis connection closed"))) }
    }

    /// Queues a command; `completion` runs on the loop with the reply, an error reply as `.server`, or why
    /// there was none. `timeout` nil uses the configured command timeout; `.zero` waits forever (blocking reads).
    func send(_ arguments: [RedisArgument], timeout: Duration? = nil, completion: @escaping Completion) {
        guard let context, !closeRequested else {
            return completion(.failure(RedisError(.unavailable, "not connected to Redis")))
        }
        let id = nextID
        nextID &+= 1
        if nextID == 0 { nextID = 1 }
        let status = Self.withArgv(arguments) { argc, argv, lengths in
            redisAsyncCommandArgv(
                context,
                { context, reply, privdata in
                    guard let raw = context?.pointee.data else { return }
                    let owner = Unmanaged<RedisConnection>.fromOpaque(raw).takeUnretainedValue()
                    owner.replied(
                        id: UInt(bitPattern: privdata), reply: reply?.assumingMemoryBound(to: redisReply.self))
                }, UnsafeMutableRawPointer(bitPattern: id), argc, argv, lengths)
        }
        guard status == REDIS_OK else {
            return completion(.failure(RedisError(.unavailable, "the Redis connection is closing")))
        }
        var entry = Pending(completion: completion, timer: nil)
        let limit = timeout ?? commandTimeout
        if limit > .zero {
            entry.timer = loop.scheduleTimer(afterNanoseconds: limit.wholeNanoseconds) { [weak self] in
                self?.timedOut(id: id)
            }
        }
        pending[id] = entry
    }

    /// Closes the connection; commands not yet answered fail.
    func close() {
        fail(RedisError(.closed, "the Redis connection was closed"))
    }

    // MARK: Loop and hiredis events

    func handleIO(_ events: IOEvents) {
        guard let context else { return }
        inCallback += 1
        if !events.intersection([.readable, .hangup, .error]).isEmpty { redisAsyncHandleRead(context) }
        if events.contains(.writable), self.context != nil { redisAsyncHandleWrite(context) }
        inCallback -= 1
        if closeRequested, self.context != nil, inCallback == 0 { freeContext() }
    }

    private func setInterest(_ event: IOEvents, on: Bool) {
        var wanted = interest
        if on { wanted.insert(event) } else { wanted.remove(event) }
        guard wanted != interest || !registered else { return }
        interest = wanted
        do {
            if registered {
                try loop.reregister(fd: fd, interest: interest)
            } else {
                try loop.register(fd: fd, interest: interest, handler: self)
                registered = true
            }
        } catch {
            fail(RedisError(.unavailable, "cannot watch the Redis socket: \(error)"))
        }
    }

    private func connected(_ ok: Bool) {
        if !ok { onConnectFailure() }
    }

    private func onConnectFailure() {
        let reason = context.map { String(cString: $0.pointee.errstr) } ?? "refused"
        finish(RedisError(.unavailable, "cannot connect to Redis: \(Self.withoutAddress(reason))"))
    }

    private func disconnected(clean: Bool) {
        finish(RedisError(.unavailable, clean ? "Redis closed the connection" : "the Redis connection was lost"))
    }

    /// hiredis is freeing its context (after a failure or a close): forget it.
    private func contextFreed() {
        if registered { loop.deregister(fd: fd) }
        registered = false
        context = nil
        finish(RedisError(.unavailable, "the Redis connection was lost"))
    }

    private func replied(id: UInt, reply: UnsafeMutablePointer<redisReply>?) {
        guard let entry = pending.removeValue(forKey: id) else { return }  // timed out already
        if let timer = entry.timer { loop.cancelTimer(timer) }
        guard let reply else {
            return entry.completion(.failure(RedisError(.unavailable, "the Redis connection was lost")))
        }
        let value = Self.value(of: reply)
        if case .error(let message) = value {
            entry.completion(.failure(RedisError(.server, message)))
        } else {
            entry.completion(.success(value))
        }
    }

    private func timedOut(id: UInt) {
        guard let entry = pending.removeValue(forKey: id) else { return }
        // Replies come in order: everything queued behind this one is stuck too, and the link may be dead.
        // The connection goes first, so whoever hears of the timeout already sees it disconnected.
        fail(RedisError(.timeout, "an earlier Redis command timed out; the connection was dropped"))
        entry.completion(.failure(RedisError(.timeout, "Redis did not answer within \(commandTimeout)")))
    }

    private func checkSetup(_ result: Result<RedisValue, RedisError>, _ command: String) {
        if case .failure(let error) = result, error.code == .server {
            fail(RedisError(.invalidConfiguration, "Redis refused \(command): \(error.message)"))
        }
    }

    /// Ends the connection now (or, inside a hiredis callback, as soon as hiredis returns).
    private func fail(_ error: RedisError) {
        closeRequested = true
        if inCallback == 0, context != nil { freeContext() }
        finish(error)
    }

    private func freeContext() {
        guard let context else { return }
        context.pointee.data = nil
        context.pointee.ev.data = nil
        if registered { loop.deregister(fd: fd) }
        registered = false
        self.context = nil
        redisAsyncFree(context)
    }

    /// Fails what is pending and reports the end once.
    private func finish(_ error: RedisError) {
        closeRequested = true
        if let timer = connectTimer {
            loop.cancelTimer(timer)
            connectTimer = nil
        }
        isReady = false
        // The owner hears first, so a caller woken by a failed command already sees the connection down.
        if let onClosed {
            self.onClosed = nil
            onClosed(error)
        }
        let waiting = pending
        pending = [:]
        for entry in waiting.values {
            if let timer = entry.timer { loop.cancelTimer(timer) }
            entry.completion(.failure(error))
        }
        if inCallback == 0, context != nil { freeContext() }
    }

    // MARK: C helpers

    private static func owner(_ raw: UnsafeMutableRawPointer?) -> RedisConnection? {
        raw.map { Unmanaged<RedisConnection>.fromOpaque($0).takeUnretainedValue() }
    }

    /// hiredis' error strings can quote the address it failed to reach; clients must not see it.
    private static func withoutAddress(_ reason: String) -> String {
        reason.split(separator: " ").filter {
            !$0.contains(where: \.isNumber) || !$0.contains(where: { ".:".contains($0) })
        }
        .joined(separator: " ")
    }

    private static func withArgv<R>(
        _ arguments: [RedisArgument],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        // hiredis copies the arguments into its output buffer during the call, so one scratch block will do.
        let total = arguments.reduce(0) { $0 + $1.bytes.count }
        let storage = UnsafeMutablePointer<CChar>.allocate(capacity: max(total, 1))
        let pointers = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: arguments.count)
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: arguments.count)
        defer {
            storage.deallocate()
            pointers.deallocate()
            lengths.deallocate()
        }
        var offset = 0
        for (index, argument) in arguments.enumerated() {
            argument.bytes.withUnsafeBufferPointer { bytes in
                if let base = bytes.baseAddress {
                    (storage + offset).withMemoryRebound(to: UInt8.self, capacity: bytes.count) {
                        $0.update(from: base, count: bytes.count)
                    }
                }
            }
            pointers[index] = UnsafePointer(storage + offset)
            lengths[index] = argument.bytes.count
            offset += argument.bytes.count
        }
        return body(Int32(arguments.count), pointers, lengths)
    }

    private static func value(of reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        func text() -> [UInt8] {
            guard let str = r.str else { return [] }
            return Array(UnsafeRawBufferPointer(start: str, count: r.len))
        }
        switch r.type {
        case REDIS_REPLY_STRING: return .bulk(text())
        case REDIS_REPLY_STATUS: return .status(String(decoding: text(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: text(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(Int64(r.integer))
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_ARRAY:
            guard let elements = r.element else { return .array([]) }
            return .array((0..<r.elements).map { elements[$0].map(value(of:)) ?? .null })
        default: return .null
        }
    }
}

@available(*, unavailable)
extension RedisConnection: Sendable {}
