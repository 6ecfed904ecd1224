import PulseProtocol
import PulseRPC
import PulseStore

/// Results of `Indicators.Compute` over stored bars, kept in Redis (``MarketCache``'s derived values, so the feed's
/// invalidation drops them when new minutes land). The key holds the symbol's data version — the latest batch of
/// its bars in the ingestion ledger, which every write of bars records — so a result computed before any later
/// write (the feed, `pulse import`, a backfill) is never served, whether or not it was invalidated.
///
/// Redis being away only skips the cache; the version costs one indexed lookup.
struct ComputeCache: Sendable {
    let data: ServerDataLayer
    /// Larger responses are not cached.
    static let maxBytes = 4 * 1024 * 1024

    /// The cache key of `request`, nil when the symbol has no stored bars (the call then answers as uncached).
    func key(for request: PulseV1.ComputeIndicatorsRequest, context: ServerContext) async throws -> String? {
        let symbol = request.symbol
        let version = try await data.withDatabase(context) { connection, timeout -> Int64? in
            let result = try await connection.query(
                """
                SELECT max(b.id) FROM symbols s JOIN ingestion_batches b ON b.symbol_id = s.id WHERE s.symbol = $1
                """, [.text(symbol)], binaryResults: true, timeout: timeout)
            return try result.int(0, 0)
        }
        guard let version else { return nil }
        return "ind:v\(version):\(Self.fingerprint(request.serializedBytes()))"
    }

    /// The cached response under `key`. A client's first-page request is also noted as asked
    /// (in the same round trip as the read: ``MarketCache/derived(_:_:asked:timeout:)``), so ``DerivedDataRecomputer`` computes it again when new bars
    /// land; the recomputer's own calls pass `noteAsked: false`, or a request nobody asks any more would live forever.
    func get(
        _ key: String, request: PulseV1.ComputeIndicatorsRequest, noteAsked: Bool, context: ServerContext
    ) async -> PulseV1.ComputeIndicatorsResponse? {
        guard let cache = data.cache, data.redis?.isConnected == true, let timeout = try? data.callTimeout(context)
        else { return nil }
        let asked = noteAsked && request.pageToken.isEmpty ? request.serializedBytes() : nil
        guard let bytes = try? await cache.derived(request.symbol, key, asked: asked, timeout: timeout) else {
            return nil
        }
        return try? PulseV1.ComputeIndicatorsResponse(serializedBytes: bytes)
    }

    func set(
        _ key: String, symbol: String, _ response: PulseV1.ComputeIndicatorsResponse, context: ServerContext
    ) async {
        guard let cache = data.cache, data.redis?.isConnected == true, let timeout = try? data.callTimeout(context)
        else { return }
        let bytes = response.serializedBytes()
        guard bytes.count <= Self.maxBytes else { return }
        try? await cache.setDerived(symbol, key, bytes, timeout: timeout)
    }

    /// FNV-1a (64-bit) of the request's encoding, in hexadecimal.
    static func fingerprint(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
