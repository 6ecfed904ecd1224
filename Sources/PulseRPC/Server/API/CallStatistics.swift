/// Counts of finished calls by gRPC status, summed over every loop of a server.
///
/// Benchmarks use it to confirm calls succeeded at the gRPC level (h2load counts any HTTP 200 as a
/// success, including a `grpc-status` error).
public struct CallStatistics: Sendable, Equatable, CustomStringConvertible {
    /// Finished calls indexed by status code (0…16).
    public internal(set) var byStatus = [Int](repeating: 0, count: 17)
    /// Requests rejected before reaching a method (HTTP 4xx: not gRPC, header list too large).
    public internal(set) var rejectedHTTP = 0

    public init() {}

    /// All finished calls.
    public var total: Int { byStatus.reduce(0, +) }
    /// Calls that ended with OK.
    public var succeeded: Int { byStatus[0] }

    mutating func add(_ other: CallStatistics) {
        for index in byStatus.indices { byStatus[index] += other.byStatus[index] }
        rejectedHTTP += other.rejectedHTTP
    }

    public var description: String {
        let failures = byStatus.enumerated().dropFirst().filter { $0.element > 0 }.map { "\($0.offset)=\($0.element)" }
        return "\(total) calls, \(succeeded) OK"
            + (failures.isEmpty ? "" : ", failed by status: " + failures.joined(separator: " "))
            + (rejectedHTTP > 0 ? ", \(rejectedHTTP) rejected at HTTP level" : "")
    }
}
