import Logging
import PulseMarketData
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The custom runtime's loop (what `bootstrap` runs): make the handler, then take invocations one at a time
/// from the Runtime API and post each one's response or error.
///
/// - A handler that cannot be made is posted to `init/error` and ends the process' run.
/// - A handler still running `deadlineMargin` before the invocation's deadline is reported as
///   `Function.Timeout` and abandoned (cancelled; the loop goes on to the next invocation), so a stuck handler
///   never hangs the environment until Lambda kills it.
/// - The X-Ray trace header is in `context.traceID` and in `_X_AMZN_TRACE_ID`, as Lambda's own runtimes set it.
///
/// ```swift
/// let runtime = LambdaRuntime(api: RuntimeAPIClient(address: address, http: http))
/// try await runtime.run { try BridgeLambdaHandler(…) }
/// ```
public struct LambdaRuntime: Sendable {
    public let api: RuntimeAPIClient
    public var deadlineMargin: Duration
    public var logger: Logger

    public init(api: RuntimeAPIClient, deadlineMargin: Duration = .milliseconds(200), logger: Logger? = nil) {
        self.api = api
        self.deadlineMargin = deadlineMargin
        self.logger = logger ?? Logger(label: "pulse.lambda")
    }

    /// Serves invocations until the task is cancelled or the Runtime API goes away.
    ///
    /// - Parameters:
    ///   - maxInvocations: stop after this many (tests); nil serves for ever.
    ///   - makeHandler: builds the handler once, before the first `next`.
    /// - Throws: the initialisation error (after posting it), or the Runtime API's failure.
    public func run(
        maxInvocations: Int? = nil, makeHandler: () async throws -> any LambdaHandler
    ) async throws {
        let handler: any LambdaHandler
        do {
            handler = try await makeHandler()
        } catch {
            let reported =
                (error as? LambdaFunctionError)
                ?? LambdaFunctionError(type: "Runtime.InitFailed", message: "the function could not start: \(error)")
            logger.error("initialisation failed: \(error)")
            try await api.initFailed(reported)
            throw reported
        }
        var served = 0
        while maxInvocations.map({ served < $0 }) ?? true, !Task.isCancelled {
            let invocation = try await api.next()
            try await serve(invocation, with: handler)
            served += 1
        }
    }

    /// Runs one invocation and posts its outcome.
    func serve(_ invocation: LambdaInvocation, with handler: any LambdaHandler) async throws(RuntimeAPIError) {
        let context = invocation.context
        if let trace = context.traceID {
            setenv("_X_AMZN_TRACE_ID", trace, 1)
        } else {
            unsetenv("_X_AMZN_TRACE_ID")
        }
        switch await Self.race(handler, invocation, budgetMs: context.remainingMs - deadlineMargin.wholeMilliseconds)
        {
        case .success(let payload):
            do throws(RuntimeAPIError) {
                try await api.respond(context.requestID, payload)
            } catch  where error.status == 413 {
                try await api.fail(
                    context.requestID,
                    LambdaFunctionError(
                        type: "Function.ResponseTooLarge",
                        message: "the response (\(payload.count) bytes) is over Lambda's limit"))
            }
        case .failure(let error):
            try await api.fail(context.requestID, report(error, context))
        case .timedOut:
            logger.error("invocation \(context.requestID) passed its deadline; the handler was abandoned")
            try await api.fail(
                context.requestID,
                LambdaFunctionError(
                    type: "Function.Timeout", message: "the handler did not finish before the invocation's deadline"))
        }
    }

    /// Typed failures go out as they are; others as a generic message with an id (the request id), the cause
    /// in the log only, since an invocation error can reach a caller (API Gateway, an async invoker's DLQ).
    private func report(_ error: any Error, _ context: LambdaContext) -> LambdaFunctionError {
        if let error = error as? LambdaFunctionError { return error }
        logger.error("invocation \(context.requestID) failed: \(error)")
        return LambdaFunctionError(type: "Runtime.Unhandled", message: "internal error (id \(context.requestID))")
    }

    enum Outcome {
        case success([UInt8])
        case failure(any Error)
        case timedOut
    }

    /// The handler's result, or `.timedOut` once `budgetMs` passed, whichever comes first. The handler runs in a
    /// task of its own so an uncooperative one can be left behind (cancelled) rather than awaited; the timer is
    /// cancelled as soon as the handler finishes, so no sleeper outlives its invocation.
    static func race(_ handler: any LambdaHandler, _ invocation: LambdaInvocation, budgetMs: Int64) async -> Outcome {
        let race = Race()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let timer = Task {
                do {
                    try await Task.sleep(for: .milliseconds(max(0, budgetMs)))
                } catch {
                    return  // the handler finished first
                }
                if race.finish() {
                    race.cancelWork()
                    continuation.resume(returning: .timedOut)
                }
            }
            let work = Task {
                let outcome: Outcome
                do {
                    outcome = .success(try await handler.handle(invocation.payload, context: invocation.context))
                } catch {
                    outcome = .failure(error)
                }
                timer.cancel()
                if race.finish() { continuation.resume(returning: outcome) }
            }
            race.setWork(work)
        }
    }
}

/// The two racers' shared state: who finished first, and the handler's task to cancel when the clock won.
final class Race: Sendable {
    private struct State {
        var finished = false
        var work: Task<Void, Never>?
        var cancelRequested = false
    }
    private let state = Mutex(State())

    /// True for the first caller only.
    func finish() -> Bool {
        state.withLock { state in
            defer { state.finished = true }
            return !state.finished
        }
    }

    func setWork(_ work: Task<Void, Never>) {
        let cancelNow = state.withLock { state in
            state.work = work
            return state.cancelRequested
        }
        if cancelNow { work.cancel() }
    }

    func cancelWork() {
        let work = state.withLock { state in
            state.cancelRequested = true
            return state.work
        }
        work?.cancel()
    }
}
