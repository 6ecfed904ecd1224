import Foundation
import Testing

@testable import PulseGateway

@Suite("The dashboard's files, read once and served from memory")
struct StaticFilesTests {
    /// A folder of the test's own: index.html, a script in a subfolder, a hidden file, a link back to the root.
    private func folder() throws -> String {
        let root = NSTemporaryDirectory() + "pulse-web-\(UUID().uuidString)"
        let manager = FileManager.default
        try manager.createDirectory(atPath: root + "/vendor", withIntermediateDirectories: true)
        try Data("<!doctype html><title>t</title>".utf8).write(to: URL(fileURLWithPath: root + "/index.html"))
        try Data("export const x = 1;".utf8).write(to: URL(fileURLWithPath: root + "/vendor/lib.js"))
        try Data("secret".utf8).write(to: URL(fileURLWithPath: root + "/.env"))
        try manager.createSymbolicLink(atPath: root + "/vendor/loop", withDestinationPath: root)
        return root
    }

    @Test("paths map to the files found, / is index.html, hidden files and traversal do not exist")
    func serving() throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let files = try StaticFiles(root: root)
        #expect(files.file(for: "/")?.contentType == "text/html; charset=utf-8")
        #expect(files.file(for: "/index.html")?.bytes == Array("<!doctype html><title>t</title>".utf8))
        #expect(files.file(for: "/vendor/lib.js")?.contentType == "text/javascript; charset=utf-8")
        #expect(files.file(for: "/.env") == nil)
        #expect(files.file(for: "/vendor/../index.html") == nil)
        #expect(files.file(for: "/../index.html") == nil)
        // The link to the root is followed only to the depth bound, and the walk ends.
        #expect(files.file(for: "/vendor/loop/index.html") != nil)
        #expect(files.files.keys.allSatisfy { $0.split(separator: "/").count <= StaticFiles.maxDepth + 2 })
    }

    @Test("a folder without index.html, or no folder, is refused with what is wrong")
    func refusals() throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.removeItem(atPath: root + "/index.html")
        #expect(throws: StaticFiles.LoadError.self) { try StaticFiles(root: root) }
        #expect(throws: StaticFiles.LoadError.self) { try StaticFiles(root: root + "/missing") }
    }
}
