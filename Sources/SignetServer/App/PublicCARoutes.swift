import SignetPKI
import Vapor

/// Unauthenticated CA endpoints that relying parties use: the issuer certificate named in
/// every certificate's AIA extension, the root, and the chain for operators.
struct PublicCARoutes: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("ca", ":file") { request -> Response in
            let authority = request.signet.authority
            let file = request.parameters.get("file") ?? ""
            let chain = authority.chain
            switch file {
            case "\(authority.issuerID).crt": return der(chain[0].der)
            case "root.crt": return der(chain[1].der)
            case "root.pem": return pem(chain[1].pem)
            case "chain.pem": return pem(chain.map(\.pem).joined())
            default: throw Abort(.notFound)
            }
        }
    }

    private func der(_ bytes: [UInt8]) -> Response {
        let response = Response(status: .ok, body: .init(data: Data(bytes)))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "pkix-cert")
        return response
    }

    private func pem(_ text: String) -> Response {
        let response = Response(status: .ok, body: .init(string: text))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "x-pem-file")
        return response
    }
}
