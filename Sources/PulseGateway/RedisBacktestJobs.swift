import PulseBridge
import PulseStore

/// Backtest jobs in Redis: `pulse:backtest:{id}` holds the job's JSON document for 24 hours after its last change,
/// so every gateway (and bridge Lambda) sharing the Redis answers `GET /backtests/{id}`.
public struct RedisBacktestJobs: BacktestJobStore {
    public let redis: RedisClient
    public var retentionSeconds = 24 * 60 * 60

    public init(redis: RedisClient) { self.redis = redis }

    static func key(_ id: String) -> RedisArgument { RedisArgument("pulse:backtest:\(id)") }

    public func save(_ id: String, _ document: [UInt8]) async throws(BridgeError) {
        do {
            _ = try await redis.command(
                "SET", Self.key(id), RedisArgument(document), "EX", RedisArgument(retentionSeconds),
                timeout: .seconds(5))
        } catch {
            throw BridgeError(.unavailable, "the job store is unavailable; try again")
        }
    }

    public func load(_ id: String) async throws(BridgeError) -> [UInt8]? {
        let value: RedisValue
        do {
            value = try await redis.command("GET", Self.key(id), timeout: .seconds(5))
        } catch {
            throw BridgeError(.unavailable, "the job store is unavailable; try again")
        }
        if case .bulk(let bytes) = value { return bytes }
        return nil
    }
}
