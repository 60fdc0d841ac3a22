import Foundation

@testable import ChipID

/// A throw-away CSCA → DS PKI made with OpenSSL's command line (ECDSA on brainpoolP384r1, the curve the CCCD's
/// DS is believed to use), and an EF.SOD it signs over synthetic data groups: the "trusted chain" cases no public
/// data set offers (ICAO-VECTORS.md §9, "Missing").
struct SyntheticPKI {
    let folder: URL
    let openssl: String
    var trustFolder: URL { folder.appendingPathComponent("trust") }
    var ldsFolder: URL { folder.appendingPathComponent("lds") }
    var files: [LDSFile: [UInt8]] = [:]

    /// The document signer's key and signature kind.
    enum Signer: String, CaseIterable, Sendable {
        /// ECDSA, brainpoolP384r1, named curve (the CCCD's believed DS algorithm).
        case brainpoolP384r1
        /// ECDSA, brainpoolP384r1 with explicit parameters in the DS certificate (as some CSCAs issue).
        case brainpoolP384r1Explicit
        /// ECDSA, NIST P-256.
        case prime256v1
        /// RSA-2048 with RSASSA-PSS (SHA-256, salt 32).
        case rsaPSS

        var keyArguments: [String] {
            switch self {
            case .brainpoolP384r1, .brainpoolP384r1Explicit:
                ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP384r1"]
            case .prime256v1: ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
            case .rsaPSS: ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
            }
        }
    }

    /// Makes CSCA + DS and an LDS folder with EF.COM, DG1, DG2, DG13, EF.SOD; nil when openssl is missing.
    /// Fixed validity periods (`openssl ca -startdate/-enddate`, `YYYYMMDDHHMMSSZ`) instead of "from now".
    struct Dates: Sendable {
        var cscaStart: String
        var dsStart: String
        var dsEnd: String
    }

    static func make(
        signer: Signer = .brainpoolP384r1, dates: Dates? = nil,
        signedAttributes: Bool = true
    ) throws -> SyntheticPKI? {
        guard let openssl = AuthenticityFixtures.openssl else { return nil }
        var pki = SyntheticPKI(folder: try AuthenticityFixtures.temporaryFolder(), openssl: openssl)
        try FileManager.default.createDirectory(at: pki.trustFolder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: pki.ldsFolder, withIntermediateDirectories: true)
        try pki.ssl([
            "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP384r1", "-out",
            "csca.key",
        ])
        if let dates {
            try pki.datedCSCA(start: dates.cscaStart)
        } else {
            try pki.ssl([
                "req", "-x509", "-new", "-key", "csca.key", "-subj", "/C=VN/O=Test Authority/CN=Test CSCA",
                "-days", "3650", "-sha384", "-out", "csca.pem", "-addext",
                "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        }
        if signer == .brainpoolP384r1Explicit {
            try pki.ssl([
                "ecparam", "-name", "brainpoolP384r1", "-param_enc", "explicit", "-genkey", "-noout",
                "-out", "ds.key",
            ])
        } else {
            try pki.ssl(signer.keyArguments + ["-out", "ds.key"])
        }
        try pki.ssl(["req", "-new", "-key", "ds.key", "-subj", "/C=VN/O=Test Authority/CN=Test DS", "-out", "ds.csr"])
        if let dates {
            try pki.ssl([
                "ca", "-batch", "-config", "ca.cnf", "-keyfile", "csca.key", "-cert", "csca.pem", "-in",
                "ds.csr", "-out", "ds.pem", "-notext", "-startdate", dates.dsStart, "-enddate", dates.dsEnd,
            ])
        } else {
            try pki.ssl([
                "x509", "-req", "-in", "ds.csr", "-CA", "csca.pem", "-CAkey", "csca.key", "-set_serial",
                "4660", "-days", "365", "-sha384", "-out", "ds.pem",
            ])
        }
        try FileManager.default.copyItem(
            at: pki.path("csca.pem"),
            to: pki.trustFolder.appendingPathComponent("csca.pem"))
        let face = TestDataSet.dg2(image: [0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 7, count: 600))
        var files: [LDSFile: [UInt8]] = [
            .com: TestDataSet.com, .dg(1): TestDataSet.dg1, .dg(13): TestDataSet.dg13(),
            .dg(2): face,
        ]
        let hashes = [1, 2, 13].map { number in
            TLV.encode(
                tag: 0x30,
                value: TLV.encode(tag: 0x02, value: [UInt8(number)])
                    + TLV.encode(tag: 0x04, value: DigestAlgorithm.sha256.hash(files[.dg(number)]!)))
        }
        let sha256 = TLV.encode(
            tag: 0x30,
            value: TLV.encode(tag: 0x06, value: ASN1.oidBytes("2.16.840.1.101.3.4.2.1")))
        let version = TLV.encode(
            tag: 0x30,
            value: TLV.encode(tag: 0x13, value: Array("0108".utf8))
                + TLV.encode(tag: 0x13, value: Array("040000".utf8)))
        let securityObject = TLV.encode(
            tag: 0x30,
            value: [0x02, 0x01, 0x01] + sha256
                + TLV.encode(tag: 0x30, value: hashes.flatMap { $0 }) + version)
        try Data(securityObject).write(to: pki.path("lds.der"))
        let pss = signer == .rsaPSS ? ["-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:32"] : []
        try pki.ssl(
            [
                "cms", "-sign", "-binary", "-nodetach", "-econtent_type", "2.23.136.1.1.1", "-md", "sha256",
                "-signer", "ds.pem", "-inkey", "ds.key", "-nosmimecap", "-outform", "DER", "-in", "lds.der",
                "-out", "sod.der",
            ] + pss + (signedAttributes ? [] : ["-noattr"]))
        files[.sod] = TLV.encode(tag: 0x77, value: [UInt8](try Data(contentsOf: pki.path("sod.der"))))
        for (file, bytes) in files {
            try Data(bytes).write(to: pki.ldsFolder.appendingPathComponent(String(format: "%04X", file.fileID)))
        }
        pki.files = files
        return pki
    }

    func path(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// A self-signed CSCA valid from `start` for 20 years, and an `openssl ca` setup that issues the DS.
    func datedCSCA(start: String) throws {
        let config = """
            [ca]
            default_ca = CA_default
            [CA_default]
            database = index.txt
            new_certs_dir = .
            serial = serial
            default_md = sha384
            policy = policy_any
            unique_subject = no
            [policy_any]
            countryName = optional
            organizationName = optional
            commonName = supplied
            [v3_ca]
            basicConstraints = critical,CA:TRUE
            keyUsage = critical,keyCertSign,cRLSign
            """
        try Data(config.utf8).write(to: path("ca.cnf"))
        try Data("1234\n".utf8).write(to: path("serial"))
        try Data().write(to: path("index.txt"))
        try ssl([
            "req", "-new", "-key", "csca.key", "-subj", "/C=VN/O=Test Authority/CN=Test CSCA", "-out",
            "csca.csr",
        ])
        let year = Int(start.prefix(4))! + 20
        try ssl([
            "ca", "-batch", "-selfsign", "-config", "ca.cnf", "-keyfile", "csca.key", "-in", "csca.csr",
            "-out", "csca.pem", "-notext", "-extensions", "v3_ca", "-startdate", start,
            "-enddate", "\(year)" + start.dropFirst(4),
        ])
    }

    /// Runs openssl in the PKI folder; throws with its stderr on failure.
    @discardableResult
    func ssl(_ arguments: [String]) throws -> String {
        let result = try AuthenticityFixtures.run(openssl, arguments, in: folder)
        guard result.status == 0 else { throw SetupError(description: "openssl \(arguments[0]): \(result.err)") }
        return result.out
    }

    /// A CRL from the CSCA; revoking the DS when `revokeDS`.
    func crl(revokeDS: Bool) throws -> URL {
        let config = """
            [ca]
            default_ca = CA_default
            [CA_default]
            database = index.txt
            crlnumber = crlnumber
            default_md = sha384
            default_crl_days = 30
            """
        try Data(config.utf8).write(to: path("ca.cnf"))
        try Data("01\n".utf8).write(to: path("crlnumber"))
        let entry = "R\t300101000000Z\t240101000000Z\t1234\tunknown\t/C=VN/O=Test Authority/CN=Test DS\n"
        let index = revokeDS ? entry : ""
        try Data(index.utf8).write(to: path("index.txt"))
        let name = revokeDS ? "revoked.crl" : "clean.crl"
        try ssl(["ca", "-gencrl", "-config", "ca.cnf", "-keyfile", "csca.key", "-cert", "csca.pem", "-out", name])
        return path(name)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    struct SetupError: Error, CustomStringConvertible { let description: String }
}
