import SignetStore
import Vapor

/// Closes the store when the application shuts down: registered before every other handler, so
/// that Vapor (which shuts handlers down in reverse) closes it after the background jobs stopped.
struct StoreShutdown: LifecycleHandler {
    let store: SignetStore

    func shutdownAsync(_ application: Application) async {
        await store.close()
    }
}
