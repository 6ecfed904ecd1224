extension TickLog {
    /// The retained ticks before `sequence` (exclusive), newest first, at most `limit`: a way back into the
    /// current minute for a live view that starts in the middle of it.
    public func entries(_ symbol: String, before sequence: UInt64, limit: Int) async throws(RedisError) -> [Entry] {
        guard sequence > 1 else { return [] }
        let reply = try await redis.command(
            "XREVRANGE", RedisArgument(Self.streamKey(symbol)), RedisArgument("(\(sequence)-0"), "-", "COUNT",
            RedisArgument(limit))
        return (reply.array ?? []).compactMap(Self.entry)
    }
}
