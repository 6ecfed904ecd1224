import Logging
import PulseIO
import PulseMarketData
import PulseStore

/// What a process other than `pulse serve` needs to run ``DerivedDataRecomputer`` (`pulse worker`, the SQS-triggered
/// Lambda): one event loop, the compute and blocking pools and the data layer over PostgreSQL and Redis. Without a
/// database the recomputer only drops the cached values.
///
/// ```swift
/// let runtime = try RecomputeRuntime(database: database, redis: redis, logger: logger)
/// let failed = await runtime.recomputer.process(messages)
/// await runtime.close()
/// ```
public final class RecomputeRuntime: Sendable {
    public let group: EventLoopGroup
    public let data: ServerDataLayer
    public let recomputer: DerivedDataRecomputer
    private let compute: ComputePool
    private let blocking: BlockingPool

    public init(database: PostgresConfiguration?, redis: RedisConfiguration, logger: Logger) throws {
        group = try EventLoopGroup(loops: 1)
        compute = try ComputePool(threads: 2)
        blocking = try BlockingPool(threads: 1)
        var database = database
        database?.blockingPool = blocking
        data = ServerDataLayer(database: database, redis: redis, group: group, ticks: TickHub(), logger: logger)
        recomputer = DerivedDataRecomputer(
            data: data, loop: group.loops[0], computePool: compute, blockingPool: blocking)
    }

    public func close() async {
        await data.close()
        blocking.shutdown()
        compute.shutdown()
        group.shutdown()
    }
}
