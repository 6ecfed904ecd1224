import Glibc

/// Reads a recorded event from `Events/` beside this file (no Foundation bundle needed).
func eventFixture(_ name: String, filePath: String = #filePath) -> [UInt8] {
    let directory = filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    guard let file = fopen(directory + "/Events/" + name, "rb") else { fatalError("missing fixture \(name)") }
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
