import Foundation
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetStore
import Vapor

/// Certificate details, chains and downloads (certcentral.md 8).
struct CertificateRoutes: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("certificate", "download", "order", ":order_id", use: downloadForOrder)
        routes.get("certificate", "download", "order", ":order_id", "format", ":format", use: downloadForOrder)
        routes.get("certificate", ":certificate_id", use: certificateInfo)
        routes.get("certificate", ":certificate_id", "chain", use: chain)
        routes.get("certificate", ":certificate_id", "download", "format", ":format", use: download)
        routes.get("certificate", ":certificate_id", "download", "platform", use: download)
        routes.get("certificate", ":certificate_id", "download", "platform", ":platform_id", use: download)
    }

    /// The certificate named by the path (an id or a serial number) and its order, if the caller may see them.
    private func load(_ request: Request) async throws -> (CertificateRecord, Order) {
        let principal = try request.principal
        let reference = request.parameters.get("certificate_id") ?? ""
        return try await request.signet.reader.read { connection in
            guard let certificate = try connection.certificate(matching: reference),
                let order = try connection.order(id: certificate.orderID),
                principal.canSee(containerID: order.containerID)
            else { throw WorkflowError.certificateNotFound(reference) }
            return (certificate, order)
        }
    }

    func certificateInfo(_ request: Request) async throws -> Response {
        let (certificate, order) = try await load(request)
        let services = request.signet
        return try CertCentralFormat.response(
            CertificateView(
                certificate, order: order, now: services.clock.now(),
                issuerName: services.authority.issuer(of: certificate, family: order.product?.family ?? .tls).ca.commonName,
                standalone: true))
    }

    func chain(_ request: Request) async throws -> Response {
        let (certificate, order) = try await load(request)
        let entries = request.signet.authority.chain(of: certificate, family: order.product?.family ?? .tls).map {
            OrderCreatedView.ChainEntry(subjectCommonName: $0.commonName, pem: $0.pem)
        }
        return try CertCentralFormat.response(["intermediates": entries])
    }

    func download(_ request: Request) async throws -> Response {
        let (certificate, order) = try await load(request)
        let format: DownloadFormat
        if let name = request.parameters.get("format") {
            format = try Self.format(name)
        } else {
            let platform = try request.parameters.get("platform_id").map { raw in
                guard let id = Int(raw) else {
                    throw OrderRuleError.invalidValue(field: "platform_id", reason: "expected an integer")
                }
                return id
            }
            format = DownloadFormat.forPlatform(platform ?? certificate.serverPlatformID ?? order.serverPlatformID)
        }
        return try respond(certificate, family: order.product?.family ?? .tls, format: format, request: request)
    }

    /// The order's current certificate, or with `?subId=` one of its duplicates (the `sub_id` of the
    /// duplicate list) in `?formatType=`, with CRLF line endings: digicert-client's
    /// `download_duplicate` asks that way and splits the body on `-----END CERTIFICATE-----\r\n`.
    func downloadForOrder(_ request: Request) async throws -> Response {
        let principal = try request.principal
        let orderID = try request.intParameter("order_id") { .orderNotFound($0) }
        let subID: Int? = try request.query[String.self, at: "subId"].map { raw in
            guard let id = Int(raw), id > 0 else {
                throw CertCentralError(.badRequest, "invalid_value:subId", "subId '\(raw)' is not a certificate's sub_id.")
            }
            return id
        }
        let formatName = request.parameters.get("format") ?? request.query[String.self, at: "formatType"]
        let format = try formatName.map(Self.format) ?? .default
        let (certificate, order) = try await request.signet.reader.read { connection in
            guard let order = try connection.order(id: orderID), principal.canSee(containerID: order.containerID) else {
                throw WorkflowError.orderNotFound(String(orderID))
            }
            guard let wanted = subID ?? order.certificateID else {
                throw WorkflowError.certificateNotFound("of order \(orderID), which waits for its CSR")
            }
            guard let certificate = try connection.certificate(id: wanted), certificate.orderID == order.id else {
                throw WorkflowError.certificateNotFound(String(wanted))
            }
            return (certificate, order)
        }
        return try respond(
            certificate, family: order.product?.family ?? .tls, format: format, request: request,
            lineEnding: subID == nil ? "\n" : "\r\n")
    }

    private static func format(_ name: String) throws -> DownloadFormat {
        guard let format = DownloadFormat(rawValue: name.lowercased()) else {
            throw CertCentralError(
                .badRequest, "invalid_value:format",
                "'\(name)' is not a certificate format; use \(DownloadFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return format
    }

    private func respond(
        _ certificate: CertificateRecord, family: CertificateFamily, format: DownloadFormat, request: Request,
        lineEnding: String = "\n"
    ) throws -> Response {
        guard let issuance = certificate.issuance, certificate.status == .issued || certificate.status == .revoked else {
            throw WorkflowError.certificateNotIssued(id: certificate.id, status: certificate.status)
        }
        let leafDER = try PEM.derBytes(of: issuance.pem)
        let acceptsZip = request.headers[.accept].contains { $0.lowercased().contains("application/zip") }
        return try format.response(
            commonName: certificate.names.commonName, leafPEM: issuance.pem, leafDER: leafDER,
            chain: request.signet.authority.chain(of: certificate, family: family), acceptsZip: acceptsZip,
            lineEnding: lineEnding)
    }
}
