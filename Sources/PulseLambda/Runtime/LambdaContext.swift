#if canImport(Glibc)
    import Glibc
#endif

/// One invocation as the Runtime API announces it (`GET …/invocation/next`): its id, deadline and trace
/// header, and the event.
public struct LambdaInvocation: Sendable, Equatable {
    public var context: LambdaContext
    public var payload: [UInt8]

    public init(context: LambdaContext, payload: [UInt8]) {
        self.context = context
        self.payload = payload
    }
}

/// What a handler knows about the invocation it serves.
public struct LambdaContext: Sendable, Equatable {
    /// `Lambda-Runtime-Aws-Request-Id`: where the response goes, and the id in the function's logs.
    public var requestID: String
    /// `Lambda-Runtime-Deadline-Ms`: when Lambda stops the invocation, Unix milliseconds.
    public var deadlineMs: Int64
    /// `Lambda-Runtime-Trace-Id` (X-Ray's `Root=…;Parent=…;Sampled=…`), passed on to the calls the handler makes.
    public var traceID: String?
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    public var invokedFunctionARN: String?

    public init(requestID: String, deadlineMs: Int64, traceID: String? = nil, invokedFunctionARN: String? = nil) {
        self.requestID = requestID
        self.deadlineMs = deadlineMs
        self.traceID = traceID
        self.invokedFunctionARN = invokedFunctionARN
    }

    /// Milliseconds left before the deadline (negative once it passed).
    public var remainingMs: Int64 { deadlineMs - LambdaClock.nowMs() }
}

/// The wall clock the Runtime API's deadlines are written in.
public enum LambdaClock {
    public static func nowMs() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
