import CQRencode

/// A QR code symbol, encoded by libqrencode (Debian's `libqrencode4`): the modules and their drawing as inline SVG.
/// Nothing here encodes by hand; this only reads the library's module matrix.
public struct QRCodeSymbol: Sendable, Hashable {
    /// Modules per side, quiet zone excluded (21 for version 1, 4 more per version).
    public let width: Int
    /// The QR version libqrencode chose (the smallest that holds the text).
    public let version: Int
    /// Row-major, `true` for a dark module.
    let modules: [Bool]

    /// The symbol for `text` (bytes as UTF-8, case kept), error correction level M (15 % of the symbol may be
    /// lost). Nil when libqrencode refuses (text too long for version 40).
    public init?(encoding text: String) {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        // libqrencode: bit 0 of each byte is the module's colour (1: dark); the other bits describe its role.
        modules = (0..<width * width).map { (code.pointee.data[$0] & 1) == 1 }
        self.width = width
        version = Int(code.pointee.version)
    }

    /// Whether the module at `row`, `column` is dark.
    public func isDark(row: Int, column: Int) -> Bool { modules[row * width + column] }

    /// The symbol as an inline SVG: one path of unit squares on a white ground, with the standard quiet zone of
    /// four modules, scaled to `size` CSS pixels. `data-modules` carries the width for tests and readers.
    public func svg(size: Int, label: String) -> String {
        let side = width + 8
        var path = ""
        for row in 0..<width {
            for column in 0..<width where isDark(row: row, column: column) {
                path += "M\(column + 4) \(row + 4)h1v1h-1z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="qr" role="img" aria-label="\(label)" \
            width="\(size)" height="\(size)" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges" \
            data-modules="\(width)"><rect width="\(side)" height="\(side)" fill="#fff"/>\
            <path d="\(path)" fill="#000"/></svg>
            """
    }
}
