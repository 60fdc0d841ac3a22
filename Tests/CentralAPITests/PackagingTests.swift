import CentralAPI
import Crypto
import Foundation
import Testing

func bytes(hex: String) -> Data {
    var data = Data()
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        data.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return data
}

@Suite struct PackagingTests {
    @Test func ed25519MatchesRFC8032TestVector1() throws {
        let key = try Curve25519.Signing.PrivateKey(
            rawRepresentation: bytes(hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        #expect(
            ItemEnvelope.hex(key.publicKey.rawRepresentation)
                == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let signature = try key.signature(for: Data())
        #expect(
            ItemEnvelope.hex(signature)
                == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
                + "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        )
    }

    /// RFC 9180 A.2.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, base mode, first encryption.
    @Test func hpkeOpensRFC9180VectorA21() throws {
        let key = try Curve25519.KeyAgreement.PrivateKey(
            rawRepresentation: bytes(hex: "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb"))
        #expect(
            ItemEnvelope.hex(key.publicKey.rawRepresentation)
                == "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a")
        var recipient = try HPKE.Recipient(
            privateKey: key, ciphersuite: ItemEnvelope.suite,
            info: bytes(hex: "4f6465206f6e2061204772656369616e2055726e"),
            encapsulatedKey: bytes(hex: "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a"))
        let plaintext = try recipient.open(
            bytes(hex: "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28"),
            authenticating: bytes(hex: "436f756e742d30"))
        #expect(plaintext == bytes(hex: "4265617574792069732074727574682c20747275746820626561757479"))
    }

    @Test func deflateRoundTripsAndRefusesBombs() throws {
        let text = Data(String(repeating: "Nguyễn Văn An 001099012345 ", count: 2_000).utf8)
        let compressed = try Deflate.compress(text)
        #expect(compressed.count < text.count / 10)
        #expect(try Deflate.decompress(compressed) == text)
        #expect(throws: CentralError.self) { try Deflate.decompress(compressed, limit: 1_000) }
        #expect(throws: CentralError.self) { try Deflate.decompress(Data([0x78, 0x9C, 0xFF, 0x00, 0x12])) }
    }

    @Test func envelopeOpensOnlyForItsStationApplicationAndKeys() throws {
        let station = Curve25519.Signing.PrivateKey()
        let central = Curve25519.KeyAgreement.PrivateKey()
        let canonical = try CanonicalEncoding.encode(["id": "A", "photo": "xyz"])
        let envelope = try ItemEnvelope.seal(
            canonical, application: "APP-1", station: "S1", signingKey: station, centralKey: central.publicKey)
        #expect(
            try ItemEnvelope.open(
                envelope, application: "APP-1", station: "S1", stationKey: station.publicKey, centralKey: central)
                == canonical)
        // Moved to another application or station: HPKE associated data no longer matches.
        for (application, stationID) in [("APP-2", "S1"), ("APP-1", "S2")] {
            #expect(throws: CentralError.self) {
                try ItemEnvelope.open(
                    envelope, application: application, station: stationID, stationKey: station.publicKey,
                    centralKey: central)
            }
        }
        // Signed by another key.
        #expect(throws: CentralError.self) {
            try ItemEnvelope.open(
                envelope, application: "APP-1", station: "S1", stationKey: Curve25519.Signing.PrivateKey().publicKey,
                centralKey: central)
        }
        // One flipped bit anywhere after the header.
        var tampered = envelope
        tampered[tampered.count - 5] ^= 0x01
        #expect(throws: CentralError.self) {
            try ItemEnvelope.open(
                tampered, application: "APP-1", station: "S1", stationKey: station.publicKey, centralKey: central)
        }
    }

    @Test func signedRequestsRefuseTamperingReplayStaleAndUnknownStations() throws {
        let key = Curve25519.Signing.PrivateKey()
        let body = Data("{\"a\":1}".utf8)
        let now = Date()
        let headers = Dictionary(
            uniqueKeysWithValues: try RequestSigning.headers(
                method: "POST", path: "/v1/status", body: body, station: "S1", key: key, now: now))
        var seen = Set<String>()
        func verify(
            method: String = "POST", path: String = "/v1/status", body: Data = body, at: Date = now,
            headers: [String: String] = headers, known: Curve25519.Signing.PublicKey? = key.publicKey
        ) throws -> RequestSigning.Verified {
            try RequestSigning.verify(
                method: method, path: path, headers: { headers[$0] }, body: body, now: at,
                lookupKey: { $0 == "S1" ? known : nil },
                nonceIsFresh: { station, nonce, _ in seen.insert(station + nonce).inserted })
        }
        func code(_ body: () throws -> Any) -> String? {
            do {
                _ = try body()
                return nil
            } catch let error as CentralError { return error.code.rawValue } catch { return "other" }
        }
        #expect(code { try verify(body: Data("{\"a\":2}".utf8)) } == "central.bad_signature")
        #expect(code { try verify(path: "/v1/batches") } == "central.bad_signature")
        #expect(code { try verify(known: Curve25519.Signing.PrivateKey().publicKey) } == "central.bad_signature")
        var unknown = headers
        unknown[RequestSigning.Header.station] = "S9"
        #expect(code { try verify(headers: unknown) } == "central.unknown_station")
        #expect(code { try verify(at: now.addingTimeInterval(301)) } == "central.stale_request")
        #expect(code { try verify(at: now.addingTimeInterval(299)) } == nil)
        #expect(code { try verify() } == "central.replayed_request")
        var missing = headers
        missing[RequestSigning.Header.nonce] = nil
        #expect(code { try verify(headers: missing) } == "central.unauthenticated")
    }
}
