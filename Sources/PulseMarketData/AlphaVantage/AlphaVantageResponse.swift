/// Tells Alpha Vantage's error bodies from data. Every answer is HTTP 200, so the body decides: a JSON
/// object with a top-level `Error Message`, `Note` or `Information` is an error whatever was asked for (a CSV
/// request gets its errors as JSON too).
enum AlphaVantageResponse {
    /// Throws the error a body stands for; returns the parsed JSON document (nil for a CSV body).
    static func check(_ body: [UInt8], rateLimitPause: Duration, now: Int64) throws(AlphaVantageError) -> JSONValue? {
        guard let first = body.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 && $0 != 0xEF }),
            first == UInt8(ascii: "{")
        else { return nil }
        let document: JSONValue
        do {
            document = try JSONValue.parse(body)
        } catch {
            throw AlphaVantageError(.malformedResponse, "the response is not valid JSON (\(error))")
        }
        if let message = document["Error Message"]?.string {
            throw AlphaVantageError(.invalidCall, message)
        }
        if let message = document["Note"]?.string {
            throw AlphaVantageError(.rateLimited, message, retryAfter: rateLimitPause)
        }
        if let message = document["Information"]?.string {
            let lower = message.lowercased()
            if lower.contains("premium endpoint") || lower.contains("premium plan") && !lower.contains("rate limit") {
                throw AlphaVantageError(.premiumEndpoint, message)
            }
            // The burst warning ("spreading out your free API requests more sparingly (1 request per second)")
            // also quotes the daily limit, so it is told apart first: it only asks for a pause.
            if lower.contains("per second") || lower.contains("sparingly") {
                throw AlphaVantageError(.rateLimited, message, retryAfter: .seconds(2))
            }
            if lower.contains("rate limit") || lower.contains("requests per day") || lower.contains("per day") {
                throw AlphaVantageError(
                    .dailyQuotaExhausted, message, retryAfter: .seconds(secondsUntilEasternMidnight(now)))
            }
            throw AlphaVantageError(.information, message)
        }
        return document
    }

    /// Seconds from `now` (UTC) to the next midnight US/Eastern, when a daily quota starts again.
    static func secondsUntilEasternMidnight(_ now: Int64) -> Int64 {
        let day = EasternDay.of(now)
        return EasternDay.start(of: day + 1) - now
    }
}
