import Foundation
import SignetPKI
import Vapor

/// Unauthenticated CA endpoints that relying parties use: the issuer certificate named in every
/// certificate's AIA extension, the CRL named in its CRL distribution point, the OCSP responder
/// (RFC 6960, GET and POST), and the root and chain for operators.
struct PublicCARoutes: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("ca", ":file", use: caFile)
        routes.get("crl", ":file", use: revocationList)
        routes.on(.POST, "ocsp", body: .collect(maxSize: "64kb"), use: ocspPost)
        routes.get("ocsp", "**", use: ocspGet)
    }

    func caFile(_ request: Request) throws -> Response {
        let authority = request.signet.authority
        let chain = authority.chain
        switch request.parameters.get("file") ?? "" {
        case "\(authority.issuerID).crt": return file(chain[0].der, type: "pkix-cert")
        case "root.crt": return file(chain[1].der, type: "pkix-cert")
        case "root.pem": return file(Array(chain[1].pem.utf8), type: "x-pem-file")
        case "chain.pem": return file(Array(chain.map(\.pem).joined().utf8), type: "x-pem-file")
        default: throw Abort(.notFound)
        }
    }

    func revocationList(_ request: Request) async throws -> Response {
        let services = request.signet
        guard request.parameters.get("file") == "\(services.authority.issuerID).crl" else { throw Abort(.notFound) }
        let crl = try await services.registration.revocations.currentCRL(store: services.store, now: services.clock.now())
        let response = file(crl.der, type: "pkix-crl")
        let seconds = max(0, Int(crl.nextUpdate.timeIntervalSince(services.clock.now())) / 2)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=\(min(seconds, 3600))")
        return response
    }

    func ocspPost(_ request: Request) async throws -> Response {
        let body = request.body.data.map { Array($0.readableBytesView) } ?? []
        return await ocsp(body, request: request)
    }

    /// `GET /ocsp/{url-encoded base64 of the DER request}` (RFC 6960 A.1).
    func ocspGet(_ request: Request) async throws -> Response {
        let encoded = request.parameters.getCatchall().joined(separator: "/")
        let base64 = (encoded.removingPercentEncoding ?? encoded)
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let padded = base64 + String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let der = Data(base64Encoded: padded) else {
            return ocspResponse(CertificateAuthority.ocspMalformedRequest)
        }
        return await ocsp(Array(der), request: request)
    }

    private func ocsp(_ der: [UInt8], request: Request) async -> Response {
        let services = request.signet
        let answer = await services.registration.revocations.ocspResponse(
            to: der, store: services.store, now: services.clock.now())
        return ocspResponse(answer)
    }

    private func ocspResponse(_ der: [UInt8]) -> Response {
        file(der, type: "ocsp-response")
    }

    private func file(_ bytes: [UInt8], type: String) -> Response {
        let response = Response(status: .ok, body: .init(data: Data(bytes)))
        response.headers.contentType = HTTPMediaType(type: "application", subType: type)
        return response
    }
}
