import ArgumentParser
import SignetServer
@main struct Signet: AsyncParsableCommand { func run() async throws {} }
