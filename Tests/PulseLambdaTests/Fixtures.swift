import Glibc

/// Reads a file from `Events/` beside this file, or from another test target's folder (`../PulseBridgeTests`).
func fixture(_ name: String, folder: String = "Events", filePath: String = #filePath) -> [UInt8] {
    let directory = filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    guard let file = fopen(directory + "/" + folder + "/" + name, "rb") else { fatalError("missing fixture \(name)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count == 0 { break }
        bytes += buffer[0..<count]
    }
    return bytes
}

func bridgeFixture(_ name: String) -> [UInt8] { fixture(name, folder: "../PulseBridgeTests/Events") }
