private import CCurl
import PulseIO

/// One libcurl multi handle driven by an event loop: curl's socket callback sets each descriptor's interest
/// with the loop, its timer callback keeps one loop timer, readiness and the timer go back through
/// `curl_multi_socket_action`, and finished transfers are collected with `curl_multi_info_read`.
/// Loop thread only.
final class CurlMulti {
    let loop: EventLoop
    private let multi: UnsafeMutableRawPointer
    private let configuration: HTTPClient.Configuration
    private var transfers: [UInt: CurlTransfer] = [:]
    private var handles: [UInt64: UInt] = [:]
    private var cancelledEarly: Set<UInt64> = []
    private var highestStarted: UInt64 = 0
    private var watches: [Int32: SocketWatch] = [:]
    private var timer: TimerHandle?
    private var closed = false
    /// Set while curl is being torn down: its last socket callbacks must not touch the loop.
    private var tearingDown = false

    init(loop: EventLoop, configuration: HTTPClient.Configuration) throws(HTTPError) {
        CurlGlobal.initialize()
        guard let multi = curl_multi_init() else { throw HTTPError(.closed, "cannot create a curl multi handle") }
        self.loop = loop
        self.multi = multi
        self.configuration = configuration
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, me)
        _ = ccurl_multi_setopt_socket_function(multi) { _, fd, what, owner, _ in
            guard let owner else { return 0 }
            Unmanaged<CurlMulti>.fromOpaque(owner).takeUnretainedValue().watch(fd: fd, what: what)
            return 0
        }
        _ = ccurl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, me)
        _ = ccurl_multi_setopt_timer_function(multi) { _, milliseconds, owner in
            guard let owner else { return 0 }
            Unmanaged<CurlMulti>.fromOpaque(owner).takeUnretainedValue().setTimer(milliseconds: milliseconds)
            return 0
        }
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maximumConnectionsPerHost)
    }

    deinit {
        tearingDown = true
        for (key, transfer) in transfers {
            curl_multi_remove_handle(multi, UnsafeMutableRawPointer(bitPattern: key))
            transfer.completion?(.failure(HTTPError(.closed, "the HTTP client was closed")))
        }
        curl_multi_cleanup(multi)
    }

    /// Starts `request`; `completion` runs on the loop exactly once.
    func start(
        id: UInt64, _ request: HTTPRequest, completion: @escaping (Result<HTTPResponse, HTTPError>) -> Void
    ) {
        highestStarted = max(highestStarted, id)
        if closed { return completion(.failure(HTTPError(.closed, "the HTTP client was closed"))) }
        if cancelledEarly.remove(id) != nil {
            return completion(.failure(HTTPError(.cancelled, "the request was cancelled")))
        }
        let transfer: CurlTransfer
        do {
            transfer = try CurlTransfer(id: id, request: request, configuration: configuration, completion: completion)
        } catch {
            return completion(.failure(error))
        }
        let key = UInt(bitPattern: transfer.easy)
        transfers[key] = transfer
        handles[id] = key
        let added = curl_multi_add_handle(multi, transfer.easy)
        guard added == CURLM_OK else {
            transfers[key] = nil
            handles[id] = nil
            let reason = String(cString: curl_multi_strerror(added))
            return completion(.failure(HTTPError(.transport, "cannot start the transfer: \(reason)")))
        }
    }

    /// Stops transfer `id` (it completes with `.cancelled`); one not yet started is refused when it arrives.
    func cancel(id: UInt64) {
        guard let key = handles[id] else {
            if id > highestStarted { cancelledEarly.insert(id) }
            return
        }
        finish(key: key, .failure(HTTPError(.cancelled, "the request was cancelled")))
    }

    /// Fails every running transfer with `.closed`; later requests fail at once.
    func close() {
        closed = true
        for key in Array(transfers.keys) {
            finish(key: key, .failure(HTTPError(.closed, "the HTTP client was closed")))
        }
        if let timer {
            loop.cancelTimer(timer)
            self.timer = nil
        }
    }

    var activeTransfers: Int { transfers.count }

    // MARK: curl's callbacks

    private func watch(fd: Int32, what: Int32) {
        guard !tearingDown else { return }
        if what == ccurl_poll_remove {
            if watches.removeValue(forKey: fd) != nil { loop.deregister(fd: fd) }
            return
        }
        var interest: IOEvents = []
        if what == ccurl_poll_in || what == ccurl_poll_inout { interest.insert(.readable) }
        if what == ccurl_poll_out || what == ccurl_poll_inout { interest.insert(.writable) }
        do {
            if let existing = watches[fd] {
                existing.interest = interest
                try loop.reregister(fd: fd, interest: interest)
            } else {
                let watch = SocketWatch(fd: fd, owner: self, interest: interest)
                try loop.register(fd: fd, interest: interest, handler: watch)
                watches[fd] = watch
            }
        } catch {
            // The loop cannot watch this socket: fail the transfers rather than hang them.
            loop.executeOnLoop { [weak self] in
                guard let self else { return }
                for key in Array(self.transfers.keys) {
                    self.finish(key: key, .failure(HTTPError(.transport, "cannot watch a socket: \(error)")))
                }
            }
        }
    }

    private func setTimer(milliseconds: Int) {
        guard !tearingDown else { return }
        if let timer {
            loop.cancelTimer(timer)
            self.timer = nil
        }
        guard milliseconds >= 0 else { return }
        // Never call back into curl from inside its timer callback: the loop runs the action next.
        timer = loop.scheduleTimer(afterNanoseconds: UInt64(milliseconds) * 1_000_000) { [weak self] in
            guard let self else { return }
            self.timer = nil
            self.act(on: ccurl_socket_timeout, events: 0)
        }
    }

    fileprivate func socketReady(fd: Int32, _ events: IOEvents) {
        var flags: Int32 = 0
        if !events.intersection([.readable, .hangup]).isEmpty { flags |= ccurl_cselect_in }
        if events.contains(.writable) { flags |= ccurl_cselect_out }
        if events.contains(.error) { flags |= ccurl_cselect_err }
        act(on: fd, events: flags)
    }

    private func act(on fd: Int32, events: Int32) {
        var running: Int32 = 0
        _ = curl_multi_socket_action(multi, fd, events, &running)
        collectFinished()
    }

    private func collectFinished() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard ccurl_message_is_done(message) != 0, let easy = message.pointee.easy_handle else { continue }
            let key = UInt(bitPattern: easy)
            guard let transfer = transfers[key] else { continue }
            finish(key: key, transfer.outcome(ccurl_message_result(message).rawValue))
        }
    }

    private func finish(key: UInt, _ result: Result<HTTPResponse, HTTPError>) {
        guard let transfer = transfers.removeValue(forKey: key) else { return }
        handles[transfer.id] = nil
        curl_multi_remove_handle(multi, transfer.easy)
        let completion = transfer.completion
        transfer.completion = nil
        completion?(result)
    }
}

/// The loop's handler for one of curl's sockets: readiness goes back to the multi handle.
private final class SocketWatch: IOHandler {
    let fd: Int32
    weak var owner: CurlMulti?
    var interest: IOEvents

    init(fd: Int32, owner: CurlMulti, interest: IOEvents) {
        self.fd = fd
        self.owner = owner
        self.interest = interest
    }

    func handleIO(_ events: IOEvents) { owner?.socketReady(fd: fd, events) }
}

/// `curl_global_init`, once per process, before the first handle.
enum CurlGlobal {
    private static let initialized: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    static func initialize() { _ = initialized }
}

@available(*, unavailable)
extension CurlMulti: Sendable {}
