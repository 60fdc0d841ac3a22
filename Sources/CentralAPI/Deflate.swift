import CZlib
import Foundation

/// zlib (RFC 1950) compression through the system library: Foundation's compression API is not on Linux.
public enum Deflate {
    /// Compresses `data` at `level` (0…9).
    public static func compress(_ data: Data, level: Int32 = 6) throws(CentralError) -> Data {
        var bound = compressBound(uLong(data.count))
        var output = [UInt8](repeating: 0, count: Int(bound))
        let status = data.withUnsafeBytes { input in
            output.withUnsafeMutableBufferPointer { out in
                compress2(
                    out.baseAddress, &bound, input.bindMemory(to: Bytef.self).baseAddress, uLong(data.count), level)
            }
        }
        guard status == Z_OK else { throw CentralError(.packaging, "zlib compress failed (\(status))") }
        return Data(output.prefix(Int(bound)))
    }

    /// Decompresses zlib data whose decompressed size is at most `limit` bytes (refuses bombs).
    public static func decompress(_ data: Data, limit: Int = 64 << 20) throws(CentralError) -> Data {
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CentralError(.badEnvelope, "zlib init failed")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let status: Int32 = data.withUnsafeBytes { input -> Int32 in
            stream.next_in = UnsafeMutablePointer(
                mutating: input.bindMemory(to: Bytef.self).baseAddress ?? UnsafePointer(bitPattern: 1)!)
            stream.avail_in = uInt(data.count)
            while true {
                let (result, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    let result = inflate(&stream, Z_NO_FLUSH)
                    return (result, out.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk.prefix(produced))
                if output.count > limit { return Z_MEM_ERROR }
                if result == Z_STREAM_END { return Z_OK }
                if result != Z_OK { return result }
                if produced == 0, stream.avail_in == 0 { return Z_DATA_ERROR }
            }
        }
        guard status == Z_OK else { throw CentralError(.badEnvelope, "zlib data does not inflate (\(status))") }
        return output
    }
}
