import ArgumentParser
import PulseAnalytics
import PulseMarketData

#if canImport(Glibc)
    import Glibc
#endif

/// `pulse aws-sign`: signs one request with SigV4 and prints the headers to send, one `Name: value` a line.
///
/// ```
/// AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… pulse aws-sign --service sqs --region us-east-1 \
///     --method POST --url https://sqs.us-east-1.amazonaws.com/ --header 'Content-Type: application/x-amz-json-1.0' \
///     --body '{"QueueUrl":"…"}'
/// ```
struct AWSSignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aws-sign",
        abstract: "Sign a request with AWS Signature Version 4 and print its headers (for checks and debugging).",
        discussion: """
            Credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; the region from \
            --region, else AWS_REGION. --canonical prints the canonical request instead.
            """)

    @Option(name: .long, help: "The service's signing name: sqs, execute-api, …")
    var service: String

    @Option(name: .long, help: "The region (default AWS_REGION).")
    var region: String?

    @Option(name: .long, help: "HTTP method.")
    var method: String = "GET"

    @Option(name: .long, help: "The request URL exactly as it is sent.")
    var url: String

    @Option(name: .long, help: "A header to sign, 'Name: value' (repeatable).")
    var header: [String] = []

    @Option(name: .long, help: "The body as text.")
    var body: String?

    @Option(name: .long, help: "The body from a file.")
    var bodyFile: String?

    @Option(name: .long, help: "Signing time, YYYYMMDDTHHMMSSZ or RFC 3339 (default now).")
    var date: String?

    @Flag(name: .long, help: "Print the canonical request instead of the headers.")
    var canonical = false

    func run() throws {
        var environment: [String: String] = [:]
        for name in [
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
        ] {
            if let raw = getenv(name) { environment[name] = String(cString: raw) }
        }
        guard let credentials = AWSCredentials(environment: environment) else {
            throw UsageError("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        guard let region = region ?? AWSCredentials.region(environment: environment) else {
            throw UsageError("give --region or set AWS_REGION")
        }
        let headers = try header.map { line -> HTTPHeader in
            guard let colon = line.firstIndex(of: ":") else { throw UsageError("--header \(line): use 'Name: value'") }
            return HTTPHeader(String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        var bytes = Array((body ?? "").utf8)
        if let bodyFile {
            guard let file = fopen(bodyFile, "rb") else { throw UsageError("cannot read --body-file \(bodyFile)") }
            defer { fclose(file) }
            bytes = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = fread(&buffer, 1, buffer.count, file)
                if count <= 0 { break }
                bytes += buffer[0..<count]
            }
        }
        var time: Int64?
        if let date {
            let text =
                date.count == 16 && date.contains("T") && !date.contains("-")
                ? "\(date.prefix(4))-\(date.dropFirst(4).prefix(2))-\(date.dropFirst(6).prefix(2))T"
                    + "\(date.dropFirst(9).prefix(2)):\(date.dropFirst(11).prefix(2)):\(date.dropFirst(13).prefix(2))Z"
                : date
            guard let parsed = TimestampParser.parse(text) else { throw UsageError("--date \(date): not a time") }
            time = parsed
        }
        let signer = SigV4Signer(credentials: credentials, region: region, service: service)
        let signed = signer.sign(method: method, url: url, headers: headers, body: bytes, time: time)
        if canonical {
            let (request, _) = signer.canonicalRequest(
                method: method, url: url, headers: signed.filter { $0.name != "Authorization" }, body: bytes)
            print(request)
            return
        }
        for header in signed { print("\(header.name): \(header.value)") }
    }
}
