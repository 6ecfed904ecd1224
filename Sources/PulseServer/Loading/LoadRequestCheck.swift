import PulseAnalytics
import PulseProtocol
import PulseRPC
import PulseStore

/// The checks LoadSymbol and Screen share: symbols, ranges, timeframes — each failure an INVALID_ARGUMENT that
/// says what is wrong — and the mapping of database failures to the status a client can act on.
enum LoadRequestCheck {
    /// `text` trimmed and upper-cased, when it is 1–20 characters of `A–Z 0–9 . - ^ =`.
    static func symbol(_ text: String, field: String = "symbol") throws(GRPCStatus) -> String {
        let symbol = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard !symbol.isEmpty else { throw GRPCStatus(.invalidArgument, "\(field) is empty") }
        guard symbol.count <= 20,
            symbol.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-^=".contains($0)) })
        else {
            throw GRPCStatus(
                .invalidArgument,
                "\(field) \(text.debugDescription) is not a symbol (1-20 characters of A-Z, 0-9, '.', '-', '^', '=')")
        }
        return symbol
    }

    /// `[start, end)` in ms (0 = unbounded); INVALID_ARGUMENT when both are set and end is not after start.
    static func range(start: Int64, end: Int64) throws(GRPCStatus) {
        if start != 0, end != 0, end <= start {
            throw GRPCStatus(.invalidArgument, "end_time_ms \(end) is not after start_time_ms \(start)")
        }
    }

    /// The library's timeframe for a wire one (unset: a day); INVALID_ARGUMENT for seconds or unusual counts.
    static func timeframe(_ wire: PulseV1.Timeframe?) throws(GRPCStatus) -> Timeframe {
        let normalized = (wire ?? .oneDay).normalized
        let unit: Timeframe.Unit
        switch normalized.unit {
        case .minute: unit = .minute
        case .hour: unit = .hour
        case .day: unit = .day
        case .week: unit = .week
        case .month: unit = .month
        default:
            throw GRPCStatus(.invalidArgument, "timeframe \(normalized) is not supported; use minutes, hours or days")
        }
        do {
            return try Timeframe(unit, Int(normalized.multiple))
        } catch {
            throw GRPCStatus(.invalidArgument, "timeframe \(normalized): \(error.message)")
        }
    }

    /// Runs `body` against the database; a database that cannot be reached is UNAVAILABLE (never its host or
    /// error text), a statement past the call's deadline DEADLINE_EXCEEDED, anything else is left to the server's
    /// UNKNOWN-with-an-id.
    static func database<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresError where error.code == .connectionFailed || error.code == .connectionClosed {
            throw GRPCStatus(.unavailable, "the database is unavailable; try again")
        } catch let error as PostgresError where error.code == .timedOut {
            throw GRPCStatus(.deadlineExceeded, "the database did not answer within the call's deadline")
        }
    }
}
