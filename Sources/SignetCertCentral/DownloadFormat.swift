import SignetCore
import SignetHTTP
import SignetPKI
import SignetRA
import Vapor

/// The certificate formats of CertCentral's glossary (certcentral.md 8.1), each with its
/// Content-Type and contents. Every certificate is PEM, also inside zips.
enum DownloadFormat: String, CaseIterable {
    case `default`
    case defaultPEM = "default_pem"
    case defaultCER = "default_cer"
    case apache
    case pemAll = "pem_all"
    case pemNoRoot = "pem_noroot"
    case pemNoIntermediate = "pem_nointermediate"
    case p7b
    case cer

    /// What a server platform installs (`/download/platform`).
    static func forPlatform(_ id: Int?) -> DownloadFormat {
        switch id {
        case 2?: return .apache
        case 45?: return .pemNoRoot
        case 14?, 40?, 67?, 68?: return .p7b
        default: return .default
        }
    }

    /// The response for a certificate (`leafPEM`, DER `leafDER`) under `chain` (issuing CA, root).
    func response(
        commonName: String, leafPEM: String, leafDER: [UInt8], chain: [ChainCertificate], acceptsZip: Bool,
        lineEnding: String = "\n"
    ) throws -> Response {
        let base = commonName.replacingOccurrences(of: "*", with: "star").replacingOccurrences(of: ".", with: "_")
            .replacingOccurrences(of: " ", with: "_").filter { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        let stem = base.isEmpty ? "certificate" : base
        // PEM is written with "\n"; a client that asked for CertCentral's CRLF gets "\r\n".
        func lines(_ pem: String) -> String {
            lineEnding == "\n" ? pem : pem.replacingOccurrences(of: "\n", with: lineEnding)
        }
        guard chain.count >= 2 else { throw Abort(.internalServerError, reason: "the certificate's chain is incomplete") }
        let leafPEM = lines(leafPEM)
        let intermediate = (pem: lines(chain[0].pem), der: chain[0].der)
        let root = (pem: lines(chain[1].pem), der: chain[1].der)
        func zip(_ files: [(String, String)]) -> Response {
            var archive = ZipArchive()
            for (name, text) in files { archive.add(name: name, contents: Array(text.utf8)) }
            return Self.file(archive.bytes, type: HTTPMediaType(type: "application", subType: "zip"), name: "\(stem).zip")
        }
        func pem(_ files: [(String, String)]) -> Response {
            if acceptsZip { return zip(files) }
            return Self.file(
                Array(files.map(\.1).joined().utf8), type: HTTPMediaType(type: "application", subType: "x-pem-file"),
                name: "\(stem).pem")
        }
        switch self {
        case .default, .defaultPEM:
            return zip([("\(stem).crt", leafPEM), ("IntermediateCA.crt", intermediate.pem), ("TrustedRoot.crt", root.pem)])
        case .defaultCER:
            return zip([("\(stem).cer", leafPEM), ("IntermediateCA.cer", intermediate.pem), ("TrustedRoot.cer", root.pem)])
        case .apache:
            return zip([("\(stem).crt", leafPEM), ("IntermediateCA.crt", intermediate.pem)])
        case .pemAll:
            return pem([("\(stem).pem", leafPEM), ("IntermediateCA.pem", intermediate.pem), ("TrustedRoot.pem", root.pem)])
        case .pemNoRoot:
            return pem([("\(stem).pem", leafPEM), ("IntermediateCA.pem", intermediate.pem)])
        case .pemNoIntermediate:
            return pem([("\(stem).pem", leafPEM), ("TrustedRoot.pem", root.pem)])
        case .p7b, .cer:
            let bundle = try PKCS7Bundle.pem(certificates: [leafDER, intermediate.der, root.der])
            return Self.file(
                Array(bundle.utf8), type: HTTPMediaType(type: "application", subType: "x-pkcs7-certificates"),
                name: "\(stem).\(rawValue)")
        }
    }

    private static func file(_ bytes: [UInt8], type: HTTPMediaType, name: String) -> Response {
        let response = Response(status: .ok, body: .init(data: Data(bytes)))
        response.headers.contentType = type
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(name)\"")
        return response
    }
}
