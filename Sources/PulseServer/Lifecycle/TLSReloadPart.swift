import Logging
import PulseIO
import PulseRPC
import ServiceLifecycle

/// Reloads the TLS certificate and key on SIGHUP: connections accepted afterwards use the new files, open ones
/// keep theirs. Files that cannot be used are logged and the previous certificate stays.
struct TLSReloadPart: Service {
    let context: TLSServerContext
    let logger: Logger

    func run() async throws {
        await ReloadSignal.onEach { [context, logger] in
            do {
                try context.reload()
                logger.info("TLS certificate reloaded", metadata: ["certificate": "\(context.certificatePath)"])
            } catch {
                logger.error("TLS certificate not reloaded, the previous one stays: \(error)")
            }
        }
    }
}
