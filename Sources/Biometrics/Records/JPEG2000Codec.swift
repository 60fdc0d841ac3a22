import COpenJPEG
import Foundation

/// JPEG 2000 lossless (reversible 5/3 wavelet, one quality layer) through OpenJPEG, in memory. Produces a JP2 file
/// (ISO/IEC 15444-1 Annex I boxes), as ISO/IEC 19794-4:2011 compression type 5 and MOSIP registration expect.
public enum JPEG2000Codec {
    /// Code-block style used when encoding (bit 0: selective arithmetic-coding bypass).
    public static let codeBlockStyle: Int32 = 0x01

    /// Encoder threads used by default: one per core (OpenJPEG codes code-blocks in parallel; the codestream is the
    /// same whatever the count).
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Encodes an 8-bit grey image losslessly as JP2, with `threads` OpenJPEG worker threads (nil: one per core).
    public static func encodeLossless(_ image: FingerprintImage, threads: Int? = nil) throws -> [UInt8] {
        var parameters = opj_cparameters_t()
        opj_set_default_encoder_parameters(&parameters)
        parameters.tcp_numlayers = 1
        parameters.tcp_rates.0 = 0  // 0 = lossless for this layer
        parameters.cp_disto_alloc = 1
        parameters.irreversible = 0
        parameters.numresolution = min(6, resolutionsFitting(image))
        // Selective arithmetic-coding bypass ("lazy" code-block style, ISO/IEC 15444-1 A.6.1 SPcod bit 0): the
        // raw-coded lower bit-planes cut tier-1 time by 20–35 % here at no size cost; a Part 1 option every
        // conforming decoder reads, still reversible 5/3, so the image stays lossless.
        parameters.mode = Self.codeBlockStyle

        var component = opj_image_cmptparm_t()
        component.dx = 1
        component.dy = 1
        component.w = OPJ_UINT32(image.width)
        component.h = OPJ_UINT32(image.height)
        component.prec = 8
        component.sgnd = 0
        guard let raw = opj_image_create(1, &component, OPJ_CLRSPC_GRAY) else { throw failure("opj_image_create") }
        defer { opj_image_destroy(raw) }
        raw.pointee.x0 = 0
        raw.pointee.y0 = 0
        raw.pointee.x1 = OPJ_UINT32(image.width)
        raw.pointee.y1 = OPJ_UINT32(image.height)
        let data = raw.pointee.comps[0].data!
        for i in 0..<image.pixels.count { data[i] = OPJ_INT32(image.pixels[i]) }

        guard let codec = opj_create_compress(OPJ_CODEC_JP2) else { throw failure("opj_create_compress") }
        defer { opj_destroy_codec(codec) }
        silence(codec)
        guard opj_setup_encoder(codec, &parameters, raw) != 0 else { throw failure("opj_setup_encoder") }
        let workers = max(1, threads ?? defaultThreads)
        if workers > 1 { _ = opj_codec_set_threads(codec, Int32(workers)) }  // false: a single-threaded build
        // OpenJPEG's own file stream (a private temporary file) rather than callbacks: its seek/skip bookkeeping
        // is what the library is tested with.
        let path = try temporaryPath()
        defer { unlink(path) }
        guard let stream = opj_stream_create_default_file_stream(path, 0) else { throw failure("cannot open \(path)") }
        let encoded =
            opj_start_compress(codec, raw, stream) != 0 && opj_encode(codec, stream) != 0
            && opj_end_compress(codec, stream) != 0
        opj_stream_destroy(stream)
        guard encoded, let data = FileManager.default.contents(atPath: path) else {
            throw failure("JPEG 2000 encoding failed")
        }
        return [UInt8](data)
    }

    /// Decodes a JP2 (or raw J2K codestream) with one 8-bit component.
    public static func decode(_ bytes: [UInt8], resolutionPPI: Int = 500) throws -> FingerprintImage {
        let isCodestream = bytes.starts(with: [0xFF, 0x4F, 0xFF, 0x51])
        guard let codec = opj_create_decompress(isCodestream ? OPJ_CODEC_J2K : OPJ_CODEC_JP2) else {
            throw failure("opj_create_decompress")
        }
        defer { opj_destroy_codec(codec) }
        silence(codec)
        var parameters = opj_dparameters_t()
        opj_set_default_decoder_parameters(&parameters)
        guard opj_setup_decoder(codec, &parameters) != 0 else { throw failure("opj_setup_decoder") }
        let path = try temporaryPath()
        defer { unlink(path) }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)),
            let stream = opj_stream_create_default_file_stream(path, 1)
        else { throw failure("cannot open \(path)") }
        defer { opj_stream_destroy(stream) }
        var imagePointer: UnsafeMutablePointer<opj_image_t>?
        guard opj_read_header(stream, codec, &imagePointer) != 0, let image = imagePointer else {
            throw failure("not a JPEG 2000 image")
        }
        defer { opj_image_destroy(image) }
        guard opj_decode(codec, stream, image) != 0, opj_end_decompress(codec, stream) != 0 else {
            throw failure("JPEG 2000 decoding failed")
        }
        guard image.pointee.numcomps >= 1, let data = image.pointee.comps[0].data else { throw failure("no component") }
        let component = image.pointee.comps[0]
        let width = Int(component.w)
        let height = Int(component.h)
        let pixels = (0..<(width * height)).map { UInt8(clamping: data[$0]) }
        return FingerprintImage(width: width, height: height, pixels: pixels, resolutionPPI: resolutionPPI)
    }

    private static func resolutionsFitting(_ image: FingerprintImage) -> Int32 {
        var levels: Int32 = 1
        var size = min(image.width, image.height)
        while size > 32 && levels < 6 {
            size /= 2
            levels += 1
        }
        return levels
    }

    private static func silence(_ codec: UnsafeMutablePointer<opj_codec_t?>) {
        let quiet: opj_msg_callback = { _, _ in }
        opj_set_info_handler(codec, quiet, nil)
        opj_set_warning_handler(codec, quiet, nil)
        opj_set_error_handler(codec, quiet, nil)
    }

    /// A fresh private file name under the temporary directory (mode 0600).
    private static func temporaryPath() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/stationd-j2k-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw failure("cannot create a temporary file") }
        close(fd)
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func failure(_ reason: String) -> BiometricError { BiometricError(.format, reason) }
}
