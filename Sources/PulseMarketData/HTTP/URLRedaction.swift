/// Removes credentials from URLs before they reach an error message or a log line.
///
/// The values of query parameters that carry secrets are replaced by `REDACTED`: Alpha Vantage's `apikey`,
/// and a presigned AWS URL's `X-Amz-Signature`, `X-Amz-Credential` and `X-Amz-Security-Token`. User info
/// (`https://user:password@host`) is removed too.
public enum URLRedaction {
    static let secretParameters: Set<String> = [
        "apikey", "api_key", "x-amz-signature", "x-amz-credential", "x-amz-security-token", "token", "password",
    ]

    /// `url` with every secret query value replaced by `REDACTED`.
    public static func redact(_ url: String) -> String {
        var text = Substring(url)
        var result = ""
        if let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") {
            let afterScheme = text.index(colon, offsetBy: 3)
            result += text[..<afterScheme]
            text = text[afterScheme...]
            let authorityEnd = text.firstIndex { "/?#".contains($0) } ?? text.endIndex
            if let at = text[..<authorityEnd].lastIndex(of: "@") {
                text = text[text.index(after: at)...]
            }
        }
        guard let question = text.firstIndex(of: "?") else { return result + text }
        result += text[...question]
        let afterQuery = text[text.index(after: question)...]
        let fragmentStart = afterQuery.firstIndex(of: "#") ?? afterQuery.endIndex
        let parts = afterQuery[..<fragmentStart].split(separator: "&", omittingEmptySubsequences: false).map {
            pair -> String in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            let name = pair[..<equals].lowercased()
            return secretParameters.contains(name) ? "\(pair[..<equals])=REDACTED" : String(pair)
        }
        return result + parts.joined(separator: "&") + afterQuery[fragmentStart...]
    }
}
