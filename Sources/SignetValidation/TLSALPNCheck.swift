import Crypto
import Foundation
import SignetCore
import SwiftASN1
import X509

extension DomainControlChecker {
    /// id-pe-acmeIdentifier (RFC 8737 6.1).
    static let acmeIdentifierExtension: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 1, 31]

    /// ACME tls-alpn-01 (RFC 8737; RFC 8738 6 for addresses): a TLS handshake with the name's
    /// address, checked by the outbound policy, on `--dcv-https-port`, offering only `acme-tls/1`
    /// with the name (an address's reverse-DNS name) as SNI. The server must choose `acme-tls/1` and
    /// show a certificate whose subjectAltName is exactly the identifier and whose critical
    /// acmeIdentifier extension holds the SHA-256 digest of the key authorization.
    public func tlsALPN01(name: String, keyAuthorization: String, targets: NamePolicy = .public) async -> DCVOutcome {
        let policy = web.policy
        let literal = IPAddress(literal: name)
        let address: IPAddress
        do {
            address = try await policy.address(for: name, targets: targets)
        } catch {
            return .failed(Self.describe(.refused(error), url: "\(name):\(web.httpsPort)"))
        }
        let place = "\(name) port \(web.httpsPort)"
        if policy.ownListener?.isListener(address, port: web.httpsPort) == true {
            return .failed(DCVFailure(.unreachable, "\(place): that is Signet's own listener"))
        }
        let handshake: TLSALPNHandshake
        do {
            handshake = try await TLSALPNProbe.handshake(
                address: address, port: web.httpsPort, serverName: literal.map(Self.reverseName) ?? name,
                timeout: web.timeout)
        } catch let error as DNSError where error == .timeout {
            return .failed(DCVFailure(.unreachable, "\(place): no TLS handshake in time"))
        } catch {
            return .failed(DCVFailure(.tls, "\(place): the TLS handshake failed"))
        }
        guard handshake.negotiatedProtocol == TLSALPNProbe.acmeProtocol else {
            return .failed(DCVFailure(.tls, "\(place) did not choose the acme-tls/1 protocol"))
        }
        let digest = Array(SHA256.hash(data: Data(keyAuthorization.utf8)))
        if let problem = Self.challengeCertificateProblem(handshake.certificate, name: name, address: literal, digest: digest) {
            return .failed(DCVFailure(.tokenMismatch, "the certificate at \(place) \(problem)"))
        }
        return .passed(domain: name)
    }

    /// What is wrong with a tls-alpn-01 certificate, or `nil` when it shows the key authorization.
    static func challengeCertificateProblem(
        _ der: [UInt8], name: String, address: IPAddress?, digest: [UInt8]
    ) -> String? {
        guard let certificate = try? Certificate(derEncoded: der) else { return "cannot be read" }
        guard let names = try? certificate.extensions.subjectAlternativeNames, names.count == 1 else {
            return "does not name exactly one identifier in its subjectAltName"
        }
        switch (names.first, address) {
        case (.dnsName(let dnsName)?, nil) where dnsName.lowercased() == name.lowercased(): break
        case (.ipAddress(let octets)?, let address?) where octets.bytes.elementsEqual(address.bytes): break
        default: return "names another identifier in its subjectAltName"
        }
        guard let identifier = certificate.extensions[oid: acmeIdentifierExtension] else {
            return "has no acmeIdentifier extension"
        }
        guard identifier.critical else { return "has an acmeIdentifier extension that is not critical" }
        guard let value = try? ASN1OctetString(derEncoded: identifier.value), value.bytes.elementsEqual(digest) else {
            return "has an acmeIdentifier that is not this key authorization's digest"
        }
        return nil
    }

    /// The reverse-DNS name of an address (RFC 8738 6): `4.3.2.1.in-addr.arpa`, or the nibbles of an
    /// IPv6 address under `ip6.arpa`.
    static func reverseName(_ address: IPAddress) -> String {
        if address.isIPv4 { return address.bytes.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa" }
        let nibbles = address.bytes.flatMap { [$0 >> 4, $0 & 0x0f] }
        return nibbles.reversed().map { String($0, radix: 16) }.joined(separator: ".") + ".ip6.arpa"
    }
}
