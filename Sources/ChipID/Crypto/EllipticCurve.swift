import COpenSSL

/// An affine point on a prime curve, as two big-endian coordinates of the field size.
public struct ECPoint: Sendable, Hashable {
    /// x coordinate, big-endian, padded to the field size.
    public var x: [UInt8]
    /// y coordinate, big-endian, padded to the field size.
    public var y: [UInt8]

    /// Builds a point from its coordinates (not checked: use `ECCurve.decode` for untrusted input).
    public init(x: [UInt8], y: [UInt8]) {
        self.x = x
        self.y = y
    }

    /// The uncompressed encoding `04 || x || y`.
    public var uncompressed: [UInt8] { [0x04] + x + y }
}

/// A named prime curve from OpenSSL, with the operations PACE generic mapping and ECDH need. The curve handle is
/// created once and only read afterwards (every operation uses its own `BN_CTX` and points), which OpenSSL allows
/// from several threads, hence `@unchecked Sendable`.
public final class ECCurve: @unchecked Sendable {
    private let group: OpaquePointer
    /// OpenSSL's NID of the curve.
    public let nid: Int32
    /// The field element size in bytes.
    public let fieldSize: Int
    /// The group order, big-endian.
    public let order: [UInt8]

    /// Loads a named curve by OpenSSL NID (e.g. `NID_brainpoolP256r1`).
    public init(nid: Int32) throws(ChipIDError) {
        guard let group = EC_GROUP_new_by_curve_name(nid) else {
            ERR_clear_error()
            throw ChipIDError(.unsupported, "curve NID \(nid) not available in libcrypto")
        }
        self.group = group
        self.nid = nid
        self.fieldSize = (Int(EC_GROUP_get_degree(group)) + 7) / 8
        if let orderBN = EC_GROUP_get0_order(group) {
            var bytes = [UInt8](repeating: 0, count: (Int(BN_num_bits(orderBN)) + 7) / 8)
            _ = BN_bn2bin(orderBN, &bytes)
            self.order = bytes
        } else {
            self.order = []
        }
    }

    /// The named curve's object identifier, dotted (`1.3.36.3.3.2.8.1.1.7` for brainpoolP256r1), from libcrypto's
    /// object table.
    public var objectIdentifier: String {
        guard let object = OBJ_nid2obj(nid) else { return "" }
        var buffer = [CChar](repeating: 0, count: 80)
        let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
        guard length > 0 else { return "" }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The curve of a standardized PACE domain parameter ID (BSI TR-03110-3 / ICAO 9303-11 Table 6), IDs 8–18.
    public convenience init(standardizedParameterID id: Int) throws(ChipIDError) {
        guard let nid = Self.nid(forParameterID: id) else {
            throw ChipIDError(
                .unsupported,
                "PACE domain parameter ID \(id) is not an elliptic curve this reader supports")
        }
        try self.init(nid: nid)
    }

    /// OpenSSL NID for a standardized domain parameter ID, or nil.
    public static func nid(forParameterID id: Int) -> Int32? {
        switch id {
        case 8: NID_X9_62_prime192v1
        case 9: NID_brainpoolP192r1
        case 10: NID_secp224r1
        case 11: NID_brainpoolP224r1
        case 12: NID_X9_62_prime256v1
        case 13: NID_brainpoolP256r1
        case 14: NID_brainpoolP320r1
        case 15: NID_secp384r1
        case 16: NID_brainpoolP384r1
        case 17: NID_brainpoolP512r1
        case 18: NID_secp521r1
        default: nil
        }
    }

    deinit { EC_GROUP_free(group) }

    /// The curve's base point G.
    public var generator: ECPoint {
        get throws(ChipIDError) {
            guard let g = EC_GROUP_get0_generator(group) else { throw ChipIDError(.crypto, "curve has no generator") }
            return try affine(g)
        }
    }

    /// Decodes an uncompressed point `04 || x || y` and checks it lies on the curve and is not infinity.
    public func decode(_ encoded: [UInt8]) throws(ChipIDError) -> ECPoint {
        guard encoded.count == 1 + 2 * fieldSize, encoded.first == 0x04 else {
            throw ChipIDError(.protocolViolation, "EC point is not an uncompressed point of this curve")
        }
        let point = ECPoint(x: Array(encoded[1...fieldSize]), y: Array(encoded[(1 + fieldSize)...]))
        try withPoint(point) { _ in }
        return point
    }

    /// scalar · point.
    public func multiply(_ scalar: [UInt8], _ point: ECPoint) throws(ChipIDError) -> ECPoint {
        try withPoint(point) { (p) throws(ChipIDError) -> ECPoint in
            try withBN(scalar) { (k) throws(ChipIDError) -> ECPoint in
                try compute { r, ctx in EC_POINT_mul(group, r, nil, p, k, ctx) }
            }
        }
    }

    /// scalar · G.
    public func multiplyGenerator(_ scalar: [UInt8]) throws(ChipIDError) -> ECPoint {
        try withBN(scalar) { (k) throws(ChipIDError) -> ECPoint in
            try compute { r, ctx in EC_POINT_mul(group, r, k, nil, nil, ctx) }
        }
    }

    /// a + b.
    public func add(_ a: ECPoint, _ b: ECPoint) throws(ChipIDError) -> ECPoint {
        try withPoint(a) { (pa) throws(ChipIDError) -> ECPoint in
            try withPoint(b) { (pb) throws(ChipIDError) -> ECPoint in
                try compute { r, ctx in EC_POINT_add(group, r, pa, pb, ctx) }
            }
        }
    }

    /// A uniformly random private scalar in [1, order − 1], from OpenSSL's CSPRNG.
    public func randomScalar() throws(ChipIDError) -> [UInt8] {
        guard let orderBN = EC_GROUP_get0_order(group), let k = BN_new() else {
            throw ChipIDError(.crypto, "BN_new failed")
        }
        defer { BN_clear_free(k) }
        repeat {
            guard BN_rand_range(k, orderBN) == 1 else {
                ERR_clear_error()
                throw ChipIDError(.crypto, "BN_rand_range failed")
            }
        } while BN_is_zero(k) == 1
        var bytes = [UInt8](repeating: 0, count: order.count)
        guard BN_bn2binpad(k, &bytes, Int32(order.count)) == Int32(order.count) else {
            throw ChipIDError(.crypto, "BN_bn2binpad failed")
        }
        return bytes
    }

    // MARK: - OpenSSL plumbing

    private func compute(_ body: (OpaquePointer, OpaquePointer) -> Int32) throws(ChipIDError) -> ECPoint {
        guard let result = EC_POINT_new(group), let ctx = BN_CTX_new() else {
            throw ChipIDError(.crypto, "EC_POINT_new/BN_CTX_new failed")
        }
        defer {
            EC_POINT_free(result)
            BN_CTX_free(ctx)
        }
        guard body(result, ctx) == 1 else {
            ERR_clear_error()
            throw ChipIDError(.crypto, "elliptic-curve operation failed")
        }
        guard EC_POINT_is_at_infinity(group, result) == 0 else {
            throw ChipIDError(.protocolViolation, "elliptic-curve operation gave the point at infinity")
        }
        return try affine(result)
    }

    private func affine(_ point: OpaquePointer) throws(ChipIDError) -> ECPoint {
        guard let x = BN_new(), let y = BN_new() else { throw ChipIDError(.crypto, "BN_new failed") }
        defer {
            BN_free(x)
            BN_free(y)
        }
        guard EC_POINT_get_affine_coordinates(group, point, x, y, nil) == 1 else {
            ERR_clear_error()
            throw ChipIDError(.crypto, "EC_POINT_get_affine_coordinates failed")
        }
        var xb = [UInt8](repeating: 0, count: fieldSize)
        var yb = [UInt8](repeating: 0, count: fieldSize)
        guard BN_bn2binpad(x, &xb, Int32(fieldSize)) == Int32(fieldSize),
            BN_bn2binpad(y, &yb, Int32(fieldSize)) == Int32(fieldSize)
        else {
            throw ChipIDError(.crypto, "coordinate larger than the field")
        }
        return ECPoint(x: xb, y: yb)
    }

    private func withPoint<R>(
        _ point: ECPoint,
        _ body: (OpaquePointer) throws(ChipIDError) -> R
    ) throws(ChipIDError) -> R {
        guard point.x.count == fieldSize, point.y.count == fieldSize else {
            throw ChipIDError(.protocolViolation, "EC point coordinates have the wrong size")
        }
        guard let p = EC_POINT_new(group) else { throw ChipIDError(.crypto, "EC_POINT_new failed") }
        defer { EC_POINT_free(p) }
        let ok: Bool = try withBN(point.x) { (x) throws(ChipIDError) -> Bool in
            try withBN(point.y) { (y) throws(ChipIDError) -> Bool in
                EC_POINT_set_affine_coordinates(group, p, x, y, nil) == 1
            }
        }
        guard ok, EC_POINT_is_on_curve(group, p, nil) == 1, EC_POINT_is_at_infinity(group, p) == 0 else {
            ERR_clear_error()
            throw ChipIDError(.protocolViolation, "EC point is not on the curve")
        }
        return try body(p)
    }

    private func withBN<R>(
        _ bytes: [UInt8],
        _ body: (OpaquePointer) throws(ChipIDError) -> R
    ) throws(ChipIDError) -> R {
        guard let bn = bytes.withUnsafeBufferPointer({ BN_bin2bn($0.baseAddress, Int32($0.count), nil) }) else {
            throw ChipIDError(.crypto, "BN_bin2bn failed")
        }
        defer { BN_clear_free(bn) }
        return try body(bn)
    }
}
