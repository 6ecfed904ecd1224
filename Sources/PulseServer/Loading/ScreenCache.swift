import PulseProtocol
import PulseStore

/// Screen results in Redis. A screen ranks many symbols, so new bars of any one make it stale: results are keyed
/// by the store's data version — the newest ingestion batch of any symbol (`max(id)` of `ingestion_batches`, one
/// index lookup), which every write of bars records — and a result computed before a later write is never served.
/// They live among ``MarketCache``'s derived values under the pseudo-symbol ``universe`` (`cache:{*}:screen:…`;
/// no real symbol is `*`), so "bars ingested" drops them in one call, and asked screens are noted there for
/// ``DerivedDataRecomputer`` to compute again. Redis being away only skips the cache.
struct ScreenCache: Sendable {
    static let universe = "*"
    let cache: MarketCache
    let timeout: Duration?

    static func version(on connection: PostgresConnection, timeout: Duration?) async throws -> Int64? {
        let result = try await connection.query(
            "SELECT max(id) FROM ingestion_batches", binaryResults: true, timeout: timeout)
        return try result.int(0, 0)
    }

    /// Nil when nothing is stored (an empty screen is not worth caching).
    static func key(version: Int64?, request: PulseV1.ScreenRequest) -> String? {
        version.map { "screen:v\($0):\(ComputeCache.fingerprint(request.serializedBytes()))" }
    }

    /// The cached screen under `key`; `noting` the request as asked in the same round trip.
    func get(_ key: String, noting request: PulseV1.ScreenRequest?) async -> PulseV1.ScreenResponse? {
        guard
            let bytes = try? await cache.derived(
                Self.universe, key, asked: request?.serializedBytes(), timeout: timeout)
        else { return nil }
        return try? PulseV1.ScreenResponse(serializedBytes: bytes)
    }

    func set(_ key: String, _ response: PulseV1.ScreenResponse) async {
        let bytes = response.serializedBytes()
        guard bytes.count <= ComputeCache.maxBytes else { return }
        try? await cache.setDerived(Self.universe, key, bytes, timeout: timeout)
    }
}
