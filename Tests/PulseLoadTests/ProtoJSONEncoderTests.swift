import Foundation
import PulseProtocol
import Testing

@testable import PulseLoad

@Suite("JSON → protobuf with a schema read at run time")
struct ProtoJSONEncoderTests {
    static let vectors: [(name: String, type: String, value: JSONValue)] = {
        let text = try! String(contentsOfFile: "\(protocolDirectory)/vectors/vectors.json", encoding: .utf8)
        guard case .array(let entries)? = try! JSONParser.parse(text)["vectors"] else { return [] }
        return entries.map { entry in
            guard case .string(let name)? = entry["name"], case .string(let type)? = entry["type"] else {
                fatalError("bad vector")
            }
            return (name, type, entry["value"]!)
        }
    }()

    @Test("every golden vector (bytes from protobuf's Python implementation) encodes byte for byte")
    func goldenVectors() throws {
        let encoder = ProtoJSONEncoder(schema: protocolSchema)
        #expect(Self.vectors.count >= 50)
        for vector in Self.vectors {
            let hex = try String(contentsOfFile: "\(protocolDirectory)/vectors/\(vector.name).hex", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let bytes = try encoder.encode(vector.value, as: vector.type)
            #expect(bytes.map { String(format: "%02x", $0) }.joined() == hex, "\(vector.name)")
        }
    }

    @Test("lowerCamelCase names, enums by number, int64 as text and numbers agree with the .proto names")
    func spellings() throws {
        let encoder = ProtoJSONEncoder(schema: protocolSchema)
        let a = try encoder.encode(
            #"{"symbol":"AAPL","timeframe":{"unit":"UNIT_MINUTE","multiple":5},"start_time_ms":"1700000000000","limit":3}"#,
            as: "pulse.v1.GetBarsRequest")
        let b = try encoder.encode(
            #"{"symbol":"AAPL","timeframe":{"unit":2,"multiple":5},"startTimeMs":1700000000000,"limit":3.0}"#,
            as: "pulse.v1.GetBarsRequest")
        #expect(a == b)
        var expected = PulseV1.GetBarsRequest()
        expected.symbol = "AAPL"
        expected.timeframe = PulseV1.Timeframe(5, .minute)
        expected.startTimeMs = 1_700_000_000_000
        expected.limit = 3
        #expect(a == expected.serializedBytes())
    }

    @Test("EchoRequest matches PulseProtocol's hand-written encoder; URL-safe base64 is accepted")
    func echo() throws {
        let bytes = try echoRequest(#"{"payload":"_-8","delayMs":7,"useComputePool":false}"#)
        #expect(bytes == EchoRequest(payload: [0xFF, 0xEF], delayMs: 7).serializedBytes())
    }

    @Test(
        "mistakes are refused with the path of the field",
        arguments: [
            (#"{"nope":1}"#, "has no field \"nope\""),
            (#"{"delayMs":"soon"}"#, "EchoRequest.delayMs"),
            (#"{"delayMs":-1}"#, "is not a UInt32"),
            (#"{"payload":"%%%"}"#, "base64"),
            (#"{"useComputePool":1}"#, "true or false"),
            (#"{"payload":"#, "invalid JSON"),
        ])
    func mistakes(_ json: String, _ message: String) {
        do {
            _ = try echoRequest(json)
            Issue.record("\(json) encoded")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test("an inline .proto: nested types, maps, oneofs, packed and unpacked repeated, proto3 optional")
    func inlineProto() throws {
        let schema = try ProtoSchema.parse([
            (
                "t.proto",
                """
                syntax = "proto3";
                package t;
                /* a comment */
                message Outer {
                  message Inner { sint32 z = 1; }
                  enum Kind { KIND_UNSPECIFIED = 0; KIND_A = 1; }
                  repeated int32 packed = 1;
                  repeated int32 unpacked = 2 [packed = false];
                  map<string, Inner> inners = 3;
                  oneof choice { string text = 4; Inner inner = 5; }
                  optional uint32 maybe = 6;
                  Kind kind = 7;
                  repeated Kind kinds = 8;
                  fixed64 f = 9;
                  float g = 10 [json_name = "gee"];
                }
                service S { rpc Call(Outer) returns (Outer.Inner) {} }
                """
            )
        ])
        #expect(schema.methods["/t.S/Call"]?.outputType == "t.Outer.Inner")
        let encoder = ProtoJSONEncoder(schema: schema)
        let bytes = try encoder.encode(
            #"{"packed":[1,2,300],"unpacked":[1,2],"inners":{"k":{"z":-1}},"text":"","maybe":0,"kind":"KIND_A","kinds":["KIND_A",0],"f":"1","gee":1.5}"#,
            as: "t.Outer")
        let expected: [UInt8] =
            [0x0A, 0x04, 0x01, 0x02, 0xAC, 0x02]  // packed
            + [0x10, 0x01, 0x10, 0x02]  // unpacked
            + [0x1A, 0x07, 0x0A, 0x01, 0x6B, 0x12, 0x02, 0x08, 0x01]  // map entry {key "k", value {z: -1 → 1}}
            + [0x22, 0x00]  // oneof member set to its default: written
            + [0x30, 0x00]  // optional set to 0: written
            + [0x38, 0x01]  // kind
            + [0x42, 0x02, 0x01, 0x00]  // packed enums
            + [0x49, 1, 0, 0, 0, 0, 0, 0, 0]  // fixed64
            + [0x55, 0x00, 0x00, 0xC0, 0x3F]  // float 1.5
        #expect(bytes == expected)
        #expect(throws: SchemaError.self) { try encoder.encode(#"{"text":"a","inner":{}}"#, as: "t.Outer") }
    }

    @Test("the Protocol/ schema has every service method")
    func protocolMethods() throws {
        #expect(protocolSchema.methods.count == PulseMethods.all.count)  // the .proto files and the method table
        let subscribe = try protocolSchema.method("/pulse.v1.Quotes/Subscribe")
        #expect(subscribe.serverStreaming && subscribe.inputType == "pulse.v1.SubscribeQuotesRequest")
        #expect(protocolSchema.enums["pulse.v1.Timeframe.Unit"]?.number(named: "UNIT_DAY") == 4)
    }
}
