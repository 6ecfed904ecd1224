import PulseProtocol
import Synchronization

/// The serving status of each service (by full name; `""` is the server as a whole) and the
/// watchers that want every change.
public final class HealthStatusRegistry: Sendable {
    public typealias Status = HealthCheckResponse.ServingStatus

    private struct State {
        var statuses: [String: Status] = [:]
        var watchers: [Int: (service: String, continuation: AsyncStream<Status>.Continuation)] = [:]
        var nextWatcher = 0
    }

    private let state = Mutex<State>(State())

    public init() {}

    /// The status of `service`, or nil when it is not known.
    public func status(of service: String) -> Status? {
        state.withLock { $0.statuses[service] }
    }

    /// Sets the status of `service` and tells its watchers when it changed.
    public func setStatus(_ status: Status, for service: String) {
        let toNotify = state.withLock { state -> [AsyncStream<Status>.Continuation] in
            guard state.statuses[service] != status else { return [] }
            state.statuses[service] = status
            return state.watchers.values.filter { $0.service == service }.map(\.continuation)
        }
        for continuation in toNotify { continuation.yield(status) }
    }

    /// Every status of `service` from now on: the current one first (SERVICE_UNKNOWN when the
    /// service is not registered), then each change. A slow watcher sees the latest states only.
    public func watch(_ service: String) -> AsyncStream<Status> {
        let (stream, continuation) = AsyncStream<Status>.makeStream(bufferingPolicy: .bufferingNewest(4))
        let id = state.withLock { state -> Int in
            let id = state.nextWatcher
            state.nextWatcher += 1
            state.watchers[id] = (service, continuation)
            continuation.yield(state.statuses[service] ?? .serviceUnknown)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every watch stream (at shutdown).
    public func finishAllWatches() {
        let all = state.withLock { state in
            defer { state.watchers.removeAll() }
            return state.watchers.values.map(\.continuation)
        }
        for continuation in all { continuation.finish() }
    }
}
