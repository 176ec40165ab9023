import CPKCS11
import Crypto
import Foundation
import X509

/// The curves Signet generates CA keys on a token with.
public enum TokenCurve: Sendable {
    case p256, p384

    /// The curve's OID as `CKA_EC_PARAMS` wants it (DER).
    var parameters: [UInt8] {
        switch self {
        case .p256: return [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
        case .p384: return [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22]
        }
    }
}

extension PKCS11PrivateKey {
    /// The key the URI names, generated on the token first when there is none (`signet init` and
    /// `signet ca rotate` with `--key NAME=pkcs11:…`): a non-extractable, sensitive EC key pair on
    /// `curve`, labelled and identified as the URI says. Its public key is read from the token.
    public static func findOrGenerate(uri: PKCS11URI, curve: TokenCurve) throws -> PKCS11PrivateKey {
        let module = try PKCS11Module.shared(path: uri.modulePath)
        guard let slot = try module.slot(token: uri.token) else { throw PKCS11Error.tokenMissing(uri.description) }
        let session = try PKCS11Signer.open(module, slot: slot, readWrite: true)
        defer { _ = module.functions.pointee.C_CloseSession?(session) }
        try PKCS11Signer.login(module, session: session, pin: try uri.pin(), uri: uri)
        let publicHandle: CK_OBJECT_HANDLE
        if try PKCS11Signer.findObject(module, session: session, uri: uri) != nil {
            guard
                let found = try PKCS11Signer.findObject(
                    module, session: session, uri: uri, objectClass: CK_OBJECT_CLASS(CKO_PUBLIC_KEY))
            else { throw PKCS11Error.keyMissing("\(uri) (its public key)") }
            publicHandle = found
        } else {
            publicHandle = try generate(module, session: session, uri: uri, curve: curve)
        }
        let point = try attribute(module, session: session, object: publicHandle, type: CK_ATTRIBUTE_TYPE(CKA_EC_POINT))
        // CKA_EC_POINT is the DER OCTET STRING of the uncompressed point.
        guard point.count > 2, point[0] == 0x04, Int(point[1]) == point.count - 2 else {
            throw PKCS11Error.unsupportedKey(uri.description)
        }
        let x963 = Array(point.dropFirst(2))
        let publicKey: Certificate.PublicKey
        switch curve {
        case .p256: publicKey = Certificate.PublicKey(try P256.Signing.PublicKey(x963Representation: x963))
        case .p384: publicKey = Certificate.PublicKey(try P384.Signing.PublicKey(x963Representation: x963))
        }
        return try PKCS11PrivateKey(uri: uri, publicKey: publicKey)
    }

    private static func generate(
        _ module: PKCS11Module, session: CK_SESSION_HANDLE, uri: PKCS11URI, curve: TokenCurve
    ) throws -> CK_OBJECT_HANDLE {
        guard let generateKeyPair = module.functions.pointee.C_GenerateKeyPair else {
            throw PKCS11Error.call("C_GenerateKeyPair", rv: UInt(CKR_FUNCTION_NOT_SUPPORTED))
        }
        var yes = CK_BBOOL(CK_TRUE)
        var no = CK_BBOOL(CK_FALSE)
        var parameters = curve.parameters
        var label = Array((uri.object ?? "signet-ca-key").utf8)
        var id = uri.id ?? (0..<8).map { _ in UInt8.random(in: 0...255) }
        var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_EC_KEY_PAIR_GEN), pParameter: nil, ulParameterLen: 0)
        var publicKey: CK_OBJECT_HANDLE = 0
        var privateKey: CK_OBJECT_HANDLE = 0
        let bool = CK_ULONG(MemoryLayout<CK_BBOOL>.size)
        let rv = withUnsafeMutablePointer(to: &yes) { yes in
            withUnsafeMutablePointer(to: &no) { no in
                parameters.withUnsafeMutableBytes { parameters in
                    label.withUnsafeMutableBytes { label in
                        id.withUnsafeMutableBytes { id in
                            func attribute(_ type: UInt, _ pointer: UnsafeMutableRawPointer?, _ length: CK_ULONG) -> CK_ATTRIBUTE
                            {
                                CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type), pValue: pointer, ulValueLen: length)
                            }
                            var publicTemplate = [
                                attribute(UInt(CKA_TOKEN), yes, bool), attribute(UInt(CKA_VERIFY), yes, bool),
                                attribute(UInt(CKA_EC_PARAMS), parameters.baseAddress, CK_ULONG(parameters.count)),
                                attribute(UInt(CKA_LABEL), label.baseAddress, CK_ULONG(label.count)),
                                attribute(UInt(CKA_ID), id.baseAddress, CK_ULONG(id.count)),
                            ]
                            var privateTemplate = [
                                attribute(UInt(CKA_TOKEN), yes, bool), attribute(UInt(CKA_PRIVATE), yes, bool),
                                attribute(UInt(CKA_SENSITIVE), yes, bool), attribute(UInt(CKA_EXTRACTABLE), no, bool),
                                attribute(UInt(CKA_SIGN), yes, bool),
                                attribute(UInt(CKA_LABEL), label.baseAddress, CK_ULONG(label.count)),
                                attribute(UInt(CKA_ID), id.baseAddress, CK_ULONG(id.count)),
                            ]
                            return generateKeyPair(
                                session, &mechanism, &publicTemplate, CK_ULONG(publicTemplate.count), &privateTemplate,
                                CK_ULONG(privateTemplate.count), &publicKey, &privateKey)
                        }
                    }
                }
            }
        }
        try module.check(rv, "C_GenerateKeyPair")
        return publicKey
    }

    private static func attribute(
        _ module: PKCS11Module, session: CK_SESSION_HANDLE, object: CK_OBJECT_HANDLE, type: CK_ATTRIBUTE_TYPE
    ) throws -> [UInt8] {
        guard let getAttributeValue = module.functions.pointee.C_GetAttributeValue else {
            throw PKCS11Error.call("C_GetAttributeValue", rv: UInt(CKR_FUNCTION_NOT_SUPPORTED))
        }
        var query = CK_ATTRIBUTE(type: type, pValue: nil, ulValueLen: 0)
        try module.check(getAttributeValue(session, object, &query, 1), "C_GetAttributeValue")
        guard query.ulValueLen > 0, query.ulValueLen < 4096 else { throw PKCS11Error.call("C_GetAttributeValue", rv: 0) }
        var value = [UInt8](repeating: 0, count: Int(query.ulValueLen))
        try value.withUnsafeMutableBytes { buffer in
            query.pValue = buffer.baseAddress
            try module.check(getAttributeValue(session, object, &query, 1), "C_GetAttributeValue")
        }
        // A module that reports more than it was given space for is not believed past the buffer.
        return Array(value.prefix(Int(min(query.ulValueLen, CK_ULONG(value.count)))))
    }
}
