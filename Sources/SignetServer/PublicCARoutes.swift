import Crypto
import Foundation
import Metrics
import SignetPKI
import SignetRA
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

    /// `/ca/<id>.crt` for the root and every issuing CA (the AIA caIssuers of the certificates they
    /// issued), `/ca/root.crt` and `root.pem`, and `/ca/chain.pem` (the current TLS issuing CA, then the root).
    func caFile(_ request: Request) throws -> Response {
        let authority = request.services.authority
        let name = request.parameters.get("file") ?? ""
        switch name {
        case "root.crt": return file(authority.root.der, type: "pkix-cert")
        case "root.pem": return file(Array(authority.root.pem.utf8), type: "x-pem-file")
        case "chain.pem": return file(Array(authority.chain(issuerID: nil).map(\.pem).joined().utf8), type: "x-pem-file")
        default:
            guard name.hasSuffix(".crt"), let ca = authority.ca(id: String(name.dropLast(4))) else { throw Abort(.notFound) }
            return file(ca.der, type: "pkix-cert")
        }
    }

    /// `/crl/<id>.crl`: the CRL of the root or of an issuing CA (current or retired).
    func revocationList(_ request: Request) async throws -> Response {
        let services = request.services
        let name = request.parameters.get("file") ?? ""
        let now = services.clock.now()
        guard name.hasSuffix(".crl"),
            let crl = try await services.registration.revocations.currentCRL(
                caID: String(name.dropLast(4)), store: services.store, now: now)
        else { throw Abort(.notFound) }
        let response = file(crl.der, type: "pkix-crl")
        let seconds = max(0, Int(crl.nextUpdate.timeIntervalSince(now)) / 2)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=\(min(seconds, 3600))")
        return response
    }

    func ocspPost(_ request: Request) async throws -> Response {
        let body = request.body.data.map { Array($0.readableBytesView) } ?? []
        return ocspResponse(await answer(body, request: request), cacheable: false)
    }

    /// `GET /ocsp/{url-encoded base64 of the DER request}` (RFC 6960 A.1), cacheable as RFC 5019 6 says.
    func ocspGet(_ request: Request) async throws -> Response {
        let encoded = request.parameters.getCatchall().joined(separator: "/")
        let base64 = (encoded.removingPercentEncoding ?? encoded)
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let padded = base64 + String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let der = Data(base64Encoded: padded) else {
            return ocspResponse(
                OCSPAnswer(
                    der: CertificateAuthority.ocspMalformedRequest, thisUpdate: request.services.clock.now(), nextUpdate: nil),
                cacheable: false)
        }
        return ocspResponse(await answer(Array(der), request: request), cacheable: true)
    }

    private func answer(_ der: [UInt8], request: Request) async -> OCSPAnswer {
        let services = request.services
        return await services.registration.revocations.ocspResponse(to: der, store: services.store, now: services.clock.now())
    }

    /// An OCSP response; a successful GET answer carries `Cache-Control: max-age` (until its
    /// nextUpdate, at most a day), `Last-Modified` (its thisUpdate), `Expires` and an `ETag`.
    private func ocspResponse(_ answer: OCSPAnswer, cacheable: Bool) -> Response {
        Counter(
            label: "signet_ocsp_responses_total",
            dimensions: [("result", answer.nextUpdate == nil ? "unsuccessful" : "successful")]
        ).increment()
        let response = file(answer.der, type: "ocsp-response")
        guard cacheable, let nextUpdate = answer.nextUpdate else {
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-cache, no-store")
            return response
        }
        let maxAge = max(0, min(86_400, Int(nextUpdate.timeIntervalSince(answer.thisUpdate))))
        response.headers.replaceOrAdd(name: .cacheControl, value: "max-age=\(maxAge), public, no-transform, must-revalidate")
        response.headers.replaceOrAdd(name: .lastModified, value: HTTPDate.format(answer.thisUpdate))
        response.headers.replaceOrAdd(
            name: .expires, value: HTTPDate.format(answer.thisUpdate.addingTimeInterval(Double(maxAge))))
        response.headers.replaceOrAdd(name: .eTag, value: "\"\(Array(SHA256.hash(data: answer.der)).prefix(16).hexString)\"")
        return response
    }

    private func file(_ bytes: [UInt8], type: String) -> Response {
        let response = Response(status: .ok, body: .init(data: Data(bytes)))
        response.headers.contentType = HTTPMediaType(type: "application", subType: type)
        return response
    }
}

/// HTTP dates (RFC 9110 5.6.7, IMF-fixdate): `Sun, 06 Nov 1994 08:49:37 GMT`.
enum HTTPDate {
    private static let formatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }()
    private static let lock = NSLock()

    static func format(_ date: Date) -> String { lock.withLock { formatter.string(from: date) } }
}
