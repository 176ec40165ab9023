import Crypto
import Foundation
import SignetCore
import SignetHSM
import SwiftASN1
import X509

/// Runs a ``CeremonyDescription``: each step is recorded in the transcript as it ends, the
/// certificate or CRL is built and linted before the token signs it, and the outputs are written
/// last, so that a ceremony that stops part-way leaves nothing that looks finished.
public enum Ceremony {
    /// What a ceremony did, step by step, for the operator's records (written as JSON).
    public struct Transcript: Sendable {
        public var steps: [(at: Date, step: String, detail: [String: String])] = []
        /// The files written, by the role the description gave them.
        public var outputs: [String: String] = [:]

        mutating func record(_ step: String, at date: Date, _ detail: [String: String] = [:]) {
            steps.append((date, step, detail))
        }

        var json: Data {
            let steps = self.steps.map { step -> [String: Any] in
                ["at": APITime.timestamp(step.at), "step": step.step, "detail": step.detail]
            }
            let object: [String: Any] = ["steps": steps, "outputs": outputs]
            return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        }
    }

    /// Runs the ceremony `description`, whose paths are relative to `folder`, at `now`.
    public static func run(_ description: CeremonyDescription, folder: URL, now: Date) throws -> Transcript {
        var transcript = Transcript()
        transcript.record("begin", at: now, ["type": description.type.rawValue])
        let notBefore = description.notBefore ?? now
        let notAfter = notBefore.addingTimeInterval(Double(description.validityDays) * 86_400)
        var files: [(role: String, path: String, bytes: [UInt8], secret: Bool)] = []
        switch description.type {
        case .root:
            let (key, subject) = (try openKey(description.key, defaultCurve: .p384, &transcript), try name(description.subject))
            let tbs = try CAProfile.root(key: key.publicKey, subject: subject, notBefore: notBefore, notAfter: notAfter)
            let root = try sign(tbs, issuer: nil, key: key, now: now, &transcript)
            files.append(("certificate", description.outputs.certificate ?? "", Array(root.pem.utf8), false))
        case .intermediate:
            let root = try issuer(description, folder: folder)
            let signer = try openKey(description.signingKey, defaultCurve: .p384, &transcript, signerOf: root)
            let key = try openKey(description.key, defaultCurve: .p256, &transcript)
            let family: CertificateFamily = description.family == "smime" ? .smime : .tls
            let tbs = try CAProfile.issuing(
                family: family, key: key.publicKey, root: root, subject: try name(description.subject),
                endpoints: PKIEndpoints(base: description.pkiURL ?? ""), notBefore: notBefore, notAfter: notAfter,
                rootAnswersOCSP: false)
            let issuing = try sign(tbs, issuer: root, key: signer, now: now, &transcript)
            files.append(("certificate", description.outputs.certificate ?? "", Array(issuing.pem.utf8), false))
            if let keyFile = description.outputs.keyFile, let uri = description.key?.uri {
                files.append(("key_file", keyFile, Array(try PKCS11URI(uri).fileText.utf8), true))
            }
        case .crl:
            let root = try issuer(description, folder: folder)
            let signer = try openKey(description.signingKey, defaultCurve: .p384, &transcript, signerOf: root)
            let revoked = try (description.revoked ?? []).map { try revocation($0, folder: folder, root: root, now: now) }
            let list = RevocationList(
                issuer: root, number: description.crlNumber ?? 1, thisUpdate: CAProfile.startOfSecond(notBefore),
                nextUpdate: CAProfile.startOfSecond(notAfter), revoked: revoked, isRoot: true)
            try step("lint", &transcript) { try PreIssuanceLint.require(list) }
            let der = try step("sign", &transcript) { try list.signed(by: signer) }
            transcript.record(
                "signed", at: now,
                [
                    "crl_number": String(list.number), "this_update": APITime.timestamp(list.thisUpdate),
                    "next_update": APITime.timestamp(list.nextUpdate),
                    "revoked": revoked.map(\.serialNumber).joined(separator: " "),
                    "sha256": Hex.lowercase(SHA256.hash(data: der)),
                ])
            files.append(("crl", description.outputs.crl ?? "", der, false))
        }
        for file in files {
            let url = resolve(file.path, in: folder)
            try step("write \(file.role)", &transcript) {
                if file.secret {
                    try SecretFile.write(String(decoding: file.bytes, as: UTF8.self), to: url.path)
                } else {
                    try Data(file.bytes).write(to: url, options: .atomic)
                }
            }
            transcript.outputs[file.role] = url.path
        }
        transcript.record("end", at: Date())
        let transcriptURL = resolve(description.outputs.transcript, in: folder)
        transcript.outputs["transcript"] = transcriptURL.path
        let json = transcript.json
        try step("write transcript", &transcript) { try json.write(to: transcriptURL, options: .atomic) }
        return transcript
    }

    /// The key `spec` names on its token, found or generated; with `signerOf`, it must be that CA's key.
    private static func openKey(
        _ spec: CeremonyDescription.Key?, defaultCurve: TokenCurve, _ transcript: inout Transcript,
        signerOf ca: CACertificate? = nil
    ) throws -> Certificate.PrivateKey {
        guard let spec else { throw CeremonyError.description("a key is missing") }
        let uri = try PKCS11URI(spec.uri)
        let key: PKCS11PrivateKey
        if let ca {
            key = try step("open signing key", &transcript) {
                try PKCS11PrivateKey(uri: uri, publicKey: ca.certificate.publicKey)
            }
        } else {
            let curve: TokenCurve = spec.curve == "p256" ? .p256 : spec.curve == "p384" ? .p384 : defaultCurve
            key = try step("find or generate key", &transcript) { try PKCS11PrivateKey.findOrGenerate(uri: uri, curve: curve) }
        }
        transcript.record(
            "key", at: Date(),
            [
                "uri": uri.description,
                "public_key_sha256": Hex.lowercase(SHA256.hash(data: key.publicKey.subjectPublicKeyInfoBytes)),
            ])
        return Certificate.PrivateKey(key)
    }

    private static func sign(
        _ tbs: ToBeSignedCertificate, issuer: CACertificate?, key: Certificate.PrivateKey, now: Date,
        _ transcript: inout Transcript
    ) throws -> CACertificate {
        try step("lint", &transcript) { try PreIssuanceLint.require(tbs, issuer: issuer, now: now) }
        let certificate = try step("sign", &transcript) { try CACertificate(try tbs.signed(by: key)) }
        transcript.record(
            "signed", at: Date(),
            [
                "subject": certificate.subject.description, "serial": tbs.serialNumber.hex,
                "not_before": APITime.timestamp(tbs.notBefore), "not_after": APITime.timestamp(tbs.notAfter),
                "sha256": Hex.lowercase(SHA256.hash(data: certificate.der)),
            ])
        return certificate
    }

    /// Runs one step; a failure stops the ceremony naming the step.
    private static func step<T>(_ name: String, _ transcript: inout Transcript, _ body: () throws -> T) throws -> T {
        do {
            let result = try body()
            transcript.record(name, at: Date())
            return result
        } catch {
            throw CeremonyError.step(name, "\(error)")
        }
    }

    private static func issuer(_ description: CeremonyDescription, folder: URL) throws -> CACertificate {
        let url = resolve(description.issuerCertificate ?? "", in: folder)
        do {
            return try CACertificate(try Certificate(pemEncoded: String(contentsOf: url, encoding: .utf8)))
        } catch {
            throw CeremonyError.step("read issuer certificate", "\(url.path): \(error)")
        }
    }

    private static func revocation(
        _ entry: CeremonyDescription.Revoked, folder: URL, root: CACertificate, now: Date
    ) throws -> RevokedCertificate {
        let url = resolve(entry.certificate, in: folder)
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: String(contentsOf: url, encoding: .utf8))
        } catch {
            throw CeremonyError.step("read revoked certificate", "\(url.path): \(error)")
        }
        guard certificate.issuer == root.subject else {
            throw CeremonyError.step("read revoked certificate", "\(url.path) was not issued by this root")
        }
        guard let reason = RevocationReason(rawValue: entry.reason ?? "unspecified") else {
            throw CeremonyError.description("a revocation reason is one of \(RevocationReason.allCases.map(\.rawValue))")
        }
        let serial = certificate.serialNumber.bytes.drop(while: { $0 == 0 }).hexString
        return RevokedCertificate(
            serialNumber: serial, revocation: Revocation(date: CAProfile.startOfSecond(entry.revokedAt ?? now), reason: reason))
    }

    private static func name(_ subject: CeremonyDescription.Subject?) throws -> DistinguishedName {
        guard let subject else { throw CeremonyError.description("a subject is missing") }
        return try DistinguishedName {
            CountryName(subject.country)
            OrganizationName(subject.organization)
            CommonName(subject.commonName)
        }
    }

    private static func resolve(_ path: String, in folder: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
    }
}
