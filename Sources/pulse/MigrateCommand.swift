import ArgumentParser
import PulseStore

/// `pulse migrate`: applies the schema migrations PulseStore ships with. Safe to run twice, and from two
/// processes at once (they serialise on an advisory lock).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the database schema migrations (idempotent).",
        discussion: """
            Prints the versions it applied, or that the schema is up to date. Then creates the yearly partitions \
            of `bars` from this year through --partitions-ahead years ahead and, with --retention-days, drops the \
            partitions whose whole year ended longer ago than that (their bars are deleted).
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Years of bars partitions to create ahead of this one (default 1).")
    var partitionsAhead: Int = 1
    @Option(help: "Drop bars partitions whose year ended more than this many days ago (default: keep all).")
    var retentionDays: Int?

    func run() async throws {
        let configuration = try database.configuration()
        guard (0...50).contains(partitionsAhead) else { throw UsageError("--partitions-ahead: 0...50") }
        if let retentionDays, retentionDays < 1 { throw UsageError("--retention-days: at least 1") }
        let migrations = try SchemaMigrations.bundled()
        let ahead = partitionsAhead
        let retention = retentionDays.map { Duration.seconds($0 * 86_400) }
        let (applied, upkeep) = try await PostgresConnection.withConnection(to: configuration) { connection in
            let applied = try await SchemaMigrations.apply(migrations, on: connection)
            let upkeep = try await BarStore(connection: connection).maintainPartitions(
                yearsAhead: ahead, retention: retention)
            return (applied, upkeep)
        }
        if !upkeep.dropped.isEmpty {
            print("dropped partitions past retention: \(upkeep.dropped.joined(separator: ", "))")
        }
        let latest = migrations.last?.version ?? 0
        if applied.isEmpty {
            print("schema up to date (version \(latest))")
        } else {
            print("applied migrations \(applied.map(String.init).joined(separator: ", ")) (schema version \(latest))")
        }
    }
}
