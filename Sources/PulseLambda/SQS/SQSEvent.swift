import PulseMarketData

/// An SQS-triggered Lambda's event: `{"Records": [{"messageId", "receiptHandle", "body", "attributes", …}]}`.
public struct SQSEvent: Sendable, Equatable {
    public struct Record: Sendable, Equatable {
        public var messageID: String
        public var body: String
        /// `attributes.ApproximateReceiveCount`: 1 on first delivery.
        public var receiveCount: Int
        public var eventSourceARN: String?
    }

    public var records: [Record]

    public static func decode(_ json: JSONValue) throws(LambdaFunctionError) -> SQSEvent {
        guard let records = json["Records"], case .array(let list) = records else {
            throw LambdaFunctionError.badEvent("an SQS event has a Records array")
        }
        var decoded: [Record] = []
        for (index, record) in list.enumerated() {
            guard record["eventSource"]?.string == "aws:sqs" else {
                throw LambdaFunctionError.badEvent("Records[\(index)] is not from aws:sqs")
            }
            guard let id = record["messageId"]?.string, let body = record["body"]?.string else {
                throw LambdaFunctionError.badEvent("Records[\(index)] has no messageId or body")
            }
            let count = record["attributes"]?["ApproximateReceiveCount"]?.string.flatMap { Int($0) } ?? 1
            decoded.append(
                Record(
                    messageID: id, body: body, receiveCount: count,
                    eventSourceARN: record["eventSourceARN"]?.string))
        }
        return SQSEvent(records: decoded)
    }

    /// The partial batch response (`ReportBatchItemFailures`): the messages to deliver again.
    public static func batchResponse(failed messageIDs: [String]) -> JSONValue {
        .object([
            JSONMember(
                name: "batchItemFailures",
                value: .array(
                    messageIDs.map { .object([JSONMember(name: "itemIdentifier", value: .string($0))]) }))
        ])
    }
}
