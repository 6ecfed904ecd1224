import PulseIO

/// One statement of a pipeline (``PostgresConnection/pipeline(_:timeout:)``).
public enum PostgresStatement: Sendable {
    /// A statement with parameters (`$1`, `$2`, …); `binaryResults` asks for binary columns.
    case query(String, [PostgresValue] = [], binaryResults: Bool = false)
    /// Prepares `sql` under `name` for ``execute(_:_:binaryResults:)``.
    case prepare(name: String, sql: String)
    /// Runs the statement prepared under `name`.
    case execute(String, [PostgresValue] = [], binaryResults: Bool = false)
}

/// One request queued on a connection, with what its answer has gathered so far.
final class PostgresOperation {
    enum Request {
        case statements([PostgresStatement], pipelined: Bool)
        /// Simple-query protocol: several `;`-separated statements, text results, no parameters.
        case script(String)
        case copyIn(String, data: [UInt8])
    }

    let request: Request
    let timeout: Duration?
    var continuation: CheckedContinuation<[Result<PostgresResult, PostgresError>], any Error>?
    /// One entry per statement: its last result, or its error.
    var outcomes: [Result<PostgresResult, PostgresError>?]
    /// The statement whose results are being read.
    var slot = 0
    var expectsSync = false
    var timer: TimerHandle?
    var timedOut = false
    var cancelledByTask = false
    // COPY FROM STDIN progress.
    var copyStarted = false
    var copyOffset = 0
    var copyEnded = false

    init(_ request: Request, timeout: Duration?) {
        self.request = request
        self.timeout = timeout
        switch request {
        case .statements(let statements, _): outcomes = Array(repeating: nil, count: statements.count)
        case .script, .copyIn: outcomes = [nil]
        }
    }

    var isCopying: Bool { copyStarted && !copyEnded }

    func record(_ outcome: Result<PostgresResult, PostgresError>) {
        guard slot < outcomes.count else { return }
        if case .failure = outcomes[slot] { return }  // keep the first error of a statement
        outcomes[slot] = outcome
    }
}
