import ArgumentParser

/// `pulse-load encode`: shows the protobuf bytes a JSON request becomes (to check `--data` before a run).
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Prints the protobuf bytes (hex) of a JSON message, as --data would send them.",
        discussion: "pulse-load encode --type pulse.v1.EchoRequest --data '{\"payload\":\"cGluZw==\",\"delayMs\":5}'")

    @Option(help: "The message type, e.g. pulse.v1.EchoRequest; or give --method to use its request type.")
    var type: String?

    @Option(help: "A method whose request type to use, /package.Service/Method.")
    var method: String?

    @Option(help: "The message as protobuf JSON.")
    var data = "{}"

    @Option(name: .customLong("proto-path"), help: "Directory of .proto files (default: the repository's Protocol/).")
    var protoPath: String?

    func validate() throws {
        guard (type == nil) != (method == nil) else { throw ValidationError("give --type or --method") }
    }

    func run() throws {
        guard let directory = protoPath ?? ProtoSchema.defaultDirectory() else {
            throw ValidationError("cannot find the Protocol/ directory of .proto files: pass --proto-path")
        }
        do {
            let schema = try ProtoSchema.load(directory: directory)
            let typeName = try type ?? schema.method(method ?? "").inputType
            let bytes = try ProtoJSONEncoder(schema: schema).encode(data, as: typeName)
            print(bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined())
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
