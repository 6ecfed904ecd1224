import ArgumentParser
import PulseIO
import PulseMarketData

#if canImport(Glibc)
    import Glibc
#endif

/// `pulse sqs send|receive|delete`: the project's SQS client from the command line (checks and operations).
///
/// ```
/// pulse sqs send --queue-url https://sqs.us-east-1.amazonaws.com/123456789012/bars --body '{"type":"bars_ingested",…}'
/// pulse sqs receive --queue-url … --wait 20         # one JSON object per message
/// pulse sqs delete --queue-url … --receipt-handle …
/// ```
struct SQSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sqs",
        abstract: "Send, receive and delete SQS messages (credentials and region from AWS_* variables).",
        subcommands: [Send.self, Receive.self, Delete.self])

    struct Common: ParsableArguments {
        @Option(name: .long, help: "The queue URL (default PULSE_SQS_QUEUE_URL).")
        var queueURL: String?

        @Option(name: .long, help: "SQS endpoint (default AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL, else AWS's).")
        var endpoint: String?

        @Option(name: .long, help: "Region (default AWS_REGION).")
        var region: String?

        func run<T: Sendable>(_ body: @Sendable (SQSClient, String) async throws -> T) async throws -> T {
            var environment: [String: String] = [:]
            for name in SQSClient.environmentNames + ["PULSE_SQS_QUEUE_URL"] {
                if let raw = getenv(name) { environment[name] = String(cString: raw) }
            }
            guard region != nil || AWSCredentials.region(environment: environment) != nil else {
                throw UsageError("give --region or set AWS_REGION")
            }
            guard let queue = queueURL ?? environment["PULSE_SQS_QUEUE_URL"] else {
                throw UsageError("give --queue-url or set PULSE_SQS_QUEUE_URL")
            }
            let loop = try EventLoop(index: 0)
            defer {
                loop.stop()
                loop.join()
            }
            let http = try HTTPClient(loop: loop)
            let sqs: SQSClient
            do {
                sqs = try SQSClient.fromEnvironment(environment, http: http, region: region, endpoint: endpoint)
            } catch {
                await http.close()
                throw UsageError(error.message)
            }
            do {
                let result = try await body(sqs, queue)
                await http.close()
                return result
            } catch {
                await http.close()
                throw error
            }
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send one message; prints its id.")
        @OptionGroup var common: Common
        @Option(name: .long, help: "The message body.") var body: String
        @Option(name: .long, help: "Delay before it can be received, seconds.") var delay: Int?

        func run() async throws {
            let (body, delay) = (self.body, self.delay)
            let id = try await common.run { sqs, queue in
                try await sqs.sendMessage(queueURL: queue, body: body, delaySeconds: delay)
            }
            print(id)
        }
    }

    struct Receive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Receive up to --max messages (long poll); prints one JSON object per message.")
        @OptionGroup var common: Common
        @Option(name: .long, help: "Long-poll wait, 0-20 seconds.") var wait: Int = 20
        @Option(name: .long, help: "Messages at most, 1-10.") var max: Int = 10
        @Option(name: .long, help: "Seconds the messages stay invisible to others.") var visibilityTimeout: Int?

        func run() async throws {
            let (wait, max, visibility) = (self.wait, self.max, self.visibilityTimeout)
            let messages = try await common.run { sqs, queue in
                try await sqs.receiveMessages(
                    queueURL: queue, maximum: max, waitSeconds: wait, visibilityTimeout: visibility)
            }
            for message in messages {
                print(
                    JSONValue.object([
                        JSONMember(name: "message_id", value: .string(message.messageID)),
                        JSONMember(name: "receipt_handle", value: .string(message.receiptHandle)),
                        JSONMember(name: "body", value: .string(message.body)),
                        JSONMember(name: "receive_count", value: .number(Double(message.receiveCount))),
                    ]).json)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a received message.")
        @OptionGroup var common: Common
        @Option(name: .long, help: "The handle from receive.") var receiptHandle: String

        func run() async throws {
            let handle = receiptHandle
            try await common.run { sqs, queue in try await sqs.deleteMessage(queueURL: queue, receiptHandle: handle) }
        }
    }
}
