import PulseClient
import PulseMarketData
import PulseProtocol
import Synchronization

/// Where `POST /backtests` keeps the jobs that outlive their request (`GET /backtests/{id}` reads them): one JSON
/// document per job, replaced as it progresses. `pulse gateway` keeps them in Redis, so any instance can answer.
public protocol BacktestJobStore: Sendable {
    func save(_ id: String, _ document: [UInt8]) async throws(BridgeError)
    /// nil when there is no such job (never created, or expired).
    func load(_ id: String) async throws(BridgeError) -> [UInt8]?
}

/// One `POST /backtests`: a Backtests.RunStream read by a task of its own, so the request answers inline when the
/// run ends within the budget, and otherwise becomes a job whose progress and result go to the store.
final class BacktestRun: Sendable {
    private struct State {
        var id: String?
        var outcome: Result<PulseV1.BacktestResult, BridgeError>?
        var waiter: CheckedContinuation<Void, Never>?
        var progress = PulseV1.BacktestProgress()
        var lastSaved: ContinuousClock.Instant?
        var inlineExpired = false
    }

    private let state = Mutex(State())
    /// Progress is written to the store at most this often.
    static let saveInterval: Duration = .milliseconds(250)

    var outcome: Result<PulseV1.BacktestResult, BridgeError>? { state.withLock { $0.outcome } }
    var progress: PulseV1.BacktestProgress { state.withLock { $0.progress } }

    /// Reads the stream to its end; saves progress and the outcome once the run is a job.
    func consume(_ stream: ResponseStream<PulseV1.BacktestEvent>, store: (any BacktestJobStore)?) async {
        var outcome: Result<PulseV1.BacktestResult, BridgeError> = .failure(
            BridgeError(.internal, "the backtest ended without a result"))
        do {
            for try await event in stream {
                switch event.event {
                case .progress(let progress):
                    if let id = noteProgress(progress), let store {
                        try? await store.save(id, Self.document(id: id, progress: progress, outcome: nil))
                    }
                case .result(let result):
                    outcome = .success(result)
                case nil:
                    break
                }
            }
        } catch {
            outcome = .failure(BridgeError(error))
        }
        let (id, waiter, progress) = state.withLock { state in
            state.outcome = outcome
            defer { state.waiter = nil }
            return (state.id, state.waiter, state.progress)
        }
        waiter?.resume()
        if let id, let store { try? await store.save(id, Self.document(id: id, progress: progress, outcome: outcome)) }
    }

    /// The job id to save progress under, when due.
    private func noteProgress(_ progress: PulseV1.BacktestProgress) -> String? {
        state.withLock { state in
            state.progress = progress
            guard let id = state.id else { return nil }
            let now = ContinuousClock.now
            if let last = state.lastSaved, now - last < Self.saveInterval { return nil }
            state.lastSaved = now
            return id
        }
    }

    /// Waits until the run ends or `budget` passes; true when it ended.
    func waitInline(_ budget: Duration) async -> Bool {
        let timer = Task {
            try? await Task.sleep(for: budget)
            let waiter = self.state.withLock { state in
                state.inlineExpired = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.outcome != nil || state.inlineExpired { return true }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
        timer.cancel()
        return outcome != nil
    }

    /// Makes the run job `id`; the outcome instead when it ended meanwhile (then it answers inline after all).
    func becomeJob(_ id: String) -> Result<PulseV1.BacktestResult, BridgeError>? {
        state.withLock { state in
            if let outcome = state.outcome { return outcome }
            state.id = id
            return nil
        }
    }

    /// `{"id","state":"running"|"succeeded"|"failed","progress":{…},"result"|"error":…}`.
    static func document(
        id: String, progress: PulseV1.BacktestProgress, outcome: Result<PulseV1.BacktestResult, BridgeError>?
    ) -> [UInt8] {
        var members = [JSONMember(name: "id", value: .string(id))]
        switch outcome {
        case nil: members.append(JSONMember(name: "state", value: .string("running")))
        case .success: members.append(JSONMember(name: "state", value: .string("succeeded")))
        case .failure: members.append(JSONMember(name: "state", value: .string("failed")))
        }
        members.append(JSONMember(name: "progress", value: JSONRendering.progress(progress)))
        switch outcome {
        case .success(let result): members.append(JSONMember(name: "result", value: JSONRendering.backtest(result)))
        case .failure(let error): members += error.json.members ?? []
        case nil: break
        }
        return Array(JSONValue.object(members).json.utf8)
    }

    /// A job id: 128 random bits in hex, unguessable, so the id alone grants reading the job.
    static func newId() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        return String((0..<32).map { _ in digits[Int(generator.next() % 16)] })
    }

    static func isJobId(_ text: String) -> Bool {
        text.utf8.count == 32
            && text.utf8.allSatisfy {
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
            }
    }
}

extension JSONRendering {
    static func progress(_ progress: PulseV1.BacktestProgress) -> JSONValue {
        let fraction = progress.barsTotal == 0 ? 0 : Double(progress.barsDone) / Double(progress.barsTotal)
        return .object([
            member("bars_done", .number(Double(progress.barsDone))),
            member("bars_total", .number(Double(progress.barsTotal))),
            member("fraction", .number((fraction * 10_000).rounded() / 10_000)),
        ])
    }
}
