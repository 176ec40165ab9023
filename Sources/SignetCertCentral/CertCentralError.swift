import Foundation
import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import SignetStore
import Vapor

/// An error as CertCentral reports it: `{"errors":[{"code":…,"message":…}]}` with an HTTP status.
struct CertCentralError: Error, Sendable {
    let status: HTTPResponseStatus
    let code: String
    let message: String
    /// Seconds after which the request may succeed (`Retry-After`), for rate limits and unavailability.
    var retryAfter: Int?
    /// Where Signet knowingly answers otherwise than CertCentral (``KnownDifference``).
    var differs: String?

    init(_ status: HTTPResponseStatus, _ code: String, _ message: String, retryAfter: Int? = nil, differs: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.differs = differs
    }

    /// CertCentral's answer when a key exceeds its request limits (certcentral.md 11.2).
    static func rateLimited(retryAfter seconds: Double) -> CertCentralError {
        CertCentralError(
            .tooManyRequests, "request_limit_exceeded", "Service unavailable, please limit request volume.",
            retryAfter: max(1, Int(seconds.rounded(.up))))
    }

    static let badRequestFormat = CertCentralError(
        .badRequest, "bad_request_format", "The request body is malformed. Make sure the request body uses valid JSON.")

    func response() -> Response {
        let body = ["errors": [["code": code, "message": message]]]
        let response = Response(status: status)
        try? response.content.encode(body, as: .json)
        if let retryAfter { response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
        if let differs { response.headers.replaceOrAdd(name: KnownDifference.header, value: differs) }
        return response
    }
}

/// The CertCentral dialect's error table: the one place that turns Signet's typed errors into
/// DigiCert's codes. Codes DigiCert documents are used as documented; the others follow its
/// `family|detail` and `family:field` patterns (docs/certcentral-errors.md lists them all).
enum CertCentralErrorTable {
    static func map(_ error: any Error) -> CertCentralError? {
        switch error {
        case let error as CertCentralError: return error
        case let fault as InjectedFault: return map(fault)
        case let error as OrderRuleError: return map(error)
        case let error as WorkflowError: return map(error)
        case let error as StoreError: return map(error)
        case let failure as LintFailure where failure.isCausedByRequest:
            let field = failure.field ?? "certificate"
            return .init(.badRequest, "invalid_value:\(field)", "\(field) cannot be certified: \(failure).")
        case is DecodingError: return .badRequestFormat
        default: return nil
        }
    }

    static func map(_ error: OrderRuleError) -> CertCentralError {
        switch error {
        case .missingField(let field):
            return .init(.badRequest, "missing_field:\(field)", "The field \(field) is required.")
        case .invalidValue(let field, let reason):
            return .init(.badRequest, "invalid_value:\(field)", "\(field) contains an invalid value: \(reason).")
        case .unknownProduct(let id):
            return .init(.notFound, "not_found|product", "The product '\(id)' was not found.")
        case .invalidDNSName(let name, let problem):
            return .init(.badRequest, "invalid_dns_name|\(name)", "'\(name)' is not a valid domain name: \(problem).")
        case .wildcardNotAllowed(let name):
            return .init(
                .badRequest, "wildcard_not_allowed|\(name)", "This product does not allow wildcard names like '\(name)'.")
        case .ipAddressNotAllowed(let name):
            return .init(
                .badRequest, "ip_address_not_allowed|\(name)", "This product does not allow IP addresses like '\(name)'.")
        case .additionalNamesNotAllowed(let name):
            return .init(
                .badRequest, "additional_names_not_allowed|\(name)", "This product does not allow the additional name '\(name)'.")
        case .tooManyNames(let limit):
            return .init(.badRequest, "too_many_names", "This product allows at most \(limit) names per certificate.")
        case .invalidEmail(let email):
            return .init(.badRequest, "invalid_email|\(email)", "'\(email)' is not a valid e-mail address.")
        case .unsupportedSignatureHash(let hash, let allowed):
            return .init(
                .badRequest, "invalid_value:signature_hash",
                "signature_hash '\(hash)' is not allowed for this product; use \(allowed.map(\.rawValue).joined(separator: ", "))."
            )
        case .certificateValidityExceedsOrder:
            return .init(
                .badRequest, "cert_validity_exceeds_order_validity",
                "The validity period of the certificate cannot exceed the validity period of the order.")
        case .unknownOrganization(let id):
            return .init(.notFound, "not_found|organization", "The organization \(id) was not found.")
        case .unknownContainer(let id):
            return .init(.notFound, "not_found|container", "The container \(id) was not found.")
        case .unknownUser(let id):
            return .init(.notFound, "not_found|user", "The user \(id) was not found.")
        case .unsupportedPaymentMethod(let method):
            return .init(
                .badRequest, "invalid_value:payment_method",
                "payment_method '\(method)' is not available; Signet charges the account balance.",
                differs: KnownDifference.paymentMethod)
        case .insufficientFunds(let needed, let available):
            return .init(
                .badRequest, "insufficient_funds",
                "The order costs \(needed) but only \(available) is available. Add funds and try again.")
        case .idempotencyKeyReused(let key):
            return .init(
                .conflict, "duplicate_alternative_order_id",
                "alternative_order_id '\(key)' was already used for a different order request.")
        case .unknownProfileOption(let option):
            return .init(
                .badRequest, "invalid_value:certificate.profile_option",
                "profile_option '\(option)' is unknown; use server_auth_only_eku or server_client_auth_eku.")
        case .dcvMethodNotAllowed(_, let method) where method == "http-token-dynamic":
            return .init(
                .badRequest, "invalid_dcv_method",
                "http-token-dynamic (a file with a unique name) is not available: DV certificates never take it, and Signet "
                    + "validates files of OV and EV orders with http-token.", differs: KnownDifference.dynamicFileName)
        case .dcvMethodNotAllowed(let name, let method):
            return .init(
                .badRequest, "invalid_dcv_method",
                "The DCV method '\(method)' cannot validate '\(name)'; wildcards need dns-txt-token, dns-cname-token or email.")
        case .dcvMethodsMixed(let methods):
            return .init(
                .badRequest, "invalid_dcv_method",
                "DV certificates validate every name with one DCV method; this request uses \(methods.joined(separator: " and "))."
            )
        case .csrRequired:
            return .init(
                .badRequest, "missing_field:certificate.csr",
                "Signet needs a CSR: it never generates or holds subscriber keys.", differs: KnownDifference.csrRequired)
        }
    }

    static func map(_ problem: CSRProblem) -> CertCentralError {
        switch problem {
        case .cannotParse(let detail):
            return .init(.badRequest, "csr_invalid_cannot_parse", "The CSR could not be parsed: \(detail).")
        case .badSignature:
            return .init(.badRequest, "csr_invalid_signature", "The CSR's signature does not verify with its own public key.")
        case .unsupportedKeyAlgorithm(let algorithm):
            return .init(.badRequest, "csr_invalid_key_type", "\(algorithm) keys are not accepted; use RSA or ECDSA P-256/P-384.")
        case .rsaKeySize(let bits):
            return .init(
                .badRequest, "csr_invalid_key_size",
                "RSA keys must have 2048 to 8192 bits in a multiple of 8; this key has \(bits).")
        case .rsaExponent:
            return .init(.badRequest, "csr_invalid_key_exponent", "The RSA public exponent must be odd and at least 3.")
        case .unsupportedCurve(let curve):
            return .init(.badRequest, "csr_invalid_curve", "The curve \(curve) is not accepted; use P-256 or P-384.")
        }
    }

    static func map(_ error: WorkflowError) -> CertCentralError {
        switch error {
        case .orderNotFound(let id): return .init(.notFound, "not_found|order", "The order \(id) was not found.")
        case .requestNotFound(let id): return .init(.notFound, "not_found|request", "The request \(id) was not found.")
        case .certificateNotFound(let id):
            return .init(.notFound, "not_found|certificate", "The certificate \(id) was not found.")
        case .organizationNotFound(let id):
            return .init(.notFound, "not_found|organization", "The organization \(id) was not found.")
        case .containerNotFound(let id): return .init(.notFound, "not_found|container", "The container \(id) was not found.")
        case .userNotFound(let id): return .init(.notFound, "not_found|user", "The user \(id) was not found.")
        case .apiKeyNotFound(let id): return .init(.notFound, "not_found|api_key", "The API key \(id) was not found.")
        case .signerUnavailable:
            return .init(
                .serviceUnavailable, "service_unavailable",
                "The CA's signing key is not reachable now; nothing was charged. Retry later.", retryAfter: 30)
        case .forbidden(let reason):
            return .init(.forbidden, "access_denied|missing_permission", "The API key may not do this: \(reason).")
        case .requestAlreadyProcessed(let id, let status):
            return .init(.badRequest, "request_already_processed", "The request \(id) is already \(status.rawValue).")
        case .certificateNotIssued(let id, let status):
            return .init(.badRequest, "certificate_not_issued", "The certificate \(id) is \(status.rawValue), not issued.")
        case .invalidCSR(let problem): return map(problem)
        case .invalidOrderStatus(let id, let status, let action):
            return .init(
                .badRequest, "invalid_order_status",
                "Order \(id) is \(status.rawValue); only issued orders within their term can be \(action).")
        case .orderNotCancelable(let id, let status):
            return .init(
                .badRequest, "invalid_order_status",
                "Order \(id) is \(status.rawValue); only orders that need approval, are pending or wait for a reissue can be canceled."
            )
        case .orderAlreadyRevoked(let id):
            return .init(.badRequest, "order_already_revoked", "Order \(id) is already revoked.")
        case .certificateAlreadyRevoked(let id):
            return .init(.badRequest, "certificate_already_revoked", "Certificate \(id) is already revoked.")
        case .domainNotFound(let id): return .init(.notFound, "not_found|domain", "The domain \(id) was not found.")
        case .domainExists(let name, let id):
            return .init(.badRequest, "duplicate_domain|\(name)", "The domain \(name) exists already (id \(id)).")
        case .dcvCheckFailed(let method, let details):
            let code: String
            switch method {
            case "dns-cname-token": code = "invalid_dns_cname"
            case "http-token": code = "file_random_value_not_found"
            default: code = "invalid_dns_txt"
            }
            let summary =
                method == "http-token"
                ? "Could not find the random value in the file for one or more domains"
                : "Could not find a valid \(method == "dns-cname-token" ? "CNAME" : "TXT") record for one or more domains"
            return .init(.badRequest, code, "\(summary): \(details.joined(separator: "; ")).")
        case .caaRefused(let domain, let reason, let lookupFailed):
            return lookupFailed
                ? .init(.badRequest, "caa_not_found|\(domain)", "The CAA records of \(domain) could not be read: \(reason).")
                : .init(.badRequest, "caa_check_failed|\(domain)", "CAA check failed: \(domain) \(reason).")
        case .wrongDCVMethod(let current, let needed):
            return .init(.badRequest, "invalid_dcv_method", "The DCV method is \(current); this needs \(needed).")
        case .invalidEmailLink:
            return .init(.notFound, "not_found|dcv_email", "The validation link is unknown or expired.")
        case .orderNotEligibleForRenewal(let id, let reason):
            return .init(.badRequest, "order_not_eligible_for_renewal", "Order \(id) cannot be renewed: \(reason).")
        case .orderRenewedAlready(let id, let renewal):
            return .init(.badRequest, "order_renewed_already", "Order \(id) was renewed already, by order \(renewal).")
        case .nameNotOnOrder(let name, let reason):
            return .init(.badRequest, "invalid_domain", "\(name) \(reason).")
        case .reissuePending(let id):
            return .init(
                .badRequest, "reissue_pending",
                "A reissue of order \(id) is pending; approve, reject or finish it before revoking its certificate.")
        }
    }

    /// An injected fault as CertCentral answers it: its rate limit, its maintenance answer, its
    /// own 500, and the gateway statuses its front end gives.
    static func map(_ fault: InjectedFault) -> CertCentralError {
        switch fault.status {
        case .tooManyRequests: return .rateLimited(retryAfter: Double(fault.retryAfter ?? 1))
        case .serviceUnavailable:
            return .init(
                .serviceUnavailable, "service_unavailable", "The service is temporarily unavailable; retry shortly.",
                retryAfter: fault.retryAfter)
        case .badGateway: return .init(.badGateway, "bad_gateway", "Bad gateway.")
        case .gatewayTimeout: return .init(.gatewayTimeout, "gateway_timeout", "Gateway timeout.")
        default: return .init(.internalServerError, "internal_error", "An internal error occurred.")
        }
    }

    static func map(_ error: StoreError) -> CertCentralError {
        switch error {
        case .unavailable:
            return .init(.serviceUnavailable, "service_unavailable", "The database is unavailable; retry shortly.")
        case .uniqueViolation:
            return .init(.conflict, "conflict", "A concurrent request changed the same record; retry the request.")
        case .inconsistent:
            return .init(.internalServerError, "internal_error", "An internal error occurred.")
        }
    }

    /// Vapor's own errors (unknown route, body too large, …) in CertCentral's words.
    static func map(abort: any AbortError) -> CertCentralError {
        switch abort.status {
        case .notFound, .methodNotAllowed:
            return .init(
                .notFound, "not_found|route", "The endpoint does not exist. Make sure the endpoint URL you are using is correct.")
        case .payloadTooLarge: return .init(.payloadTooLarge, "payload_too_large", "The request body is too large.")
        case .badRequest, .unsupportedMediaType, .unprocessableEntity: return .badRequestFormat
        default: return .init(abort.status, "error", abort.reason)
        }
    }
}
