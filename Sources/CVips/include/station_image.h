// The portrait's image work through libvips, behind plain C calls: libvips's own API is variadic (not callable from
// Swift) and pulls in GLib. Nothing here keeps state between calls but libvips's one-time initialisation.
#ifndef STATION_IMAGE_H
#define STATION_IMAGE_H

#include <stddef.h>

/// What became of a call.
enum station_image_status {
    STATION_IMAGE_OK = 0,
    /// No image loader recognises the bytes.
    STATION_IMAGE_NOT_IMAGE = 1,
    /// An image, but not JPEG or PNG (HEIC, WebP, GIF, TIFF, ...).
    STATION_IMAGE_UNSUPPORTED = 2,
    /// A JPEG or PNG whose header or pixels cannot be decoded (truncated, damaged).
    STATION_IMAGE_CORRUPT = 3,
    /// Smaller than the limits' minimum once cropped to the portrait ratio.
    STATION_IMAGE_TOO_SMALL = 4,
    /// More pixels than the limits' maximum (refused before decoding).
    STATION_IMAGE_TOO_LARGE = 5,
    /// libvips could not start or ran out of memory.
    STATION_IMAGE_FAILED = 6,
};

/// The portrait's limits.
typedef struct {
    /// The largest output; their ratio is the crop's ratio (e.g. 600×800: 3:4, ISO/IEC 19794-5 token frontal).
    int target_width, target_height;
    /// The smallest crop accepted (not enlarged).
    int minimum_width, minimum_height;
    /// The most source pixels accepted.
    long long maximum_pixels;
    /// The first JPEG quality tried (1…100); lower ones follow until the file fits `maximum_bytes`.
    int quality;
    /// The largest JPEG produced.
    size_t maximum_bytes;
} station_portrait_limits;

/// A normalised portrait.
typedef struct {
    /// The source format: 1 JPEG, 2 PNG, 0 unknown.
    int format;
    /// The source's EXIF orientation (1…8; 1 when none).
    int orientation;
    /// The source's upright size (after its orientation).
    int source_width, source_height;
    /// The output's size and JPEG quality.
    int width, height, quality;
    /// The output JPEG (free with `station_image_free`), NULL unless OK.
    unsigned char *jpeg;
    size_t jpeg_length;
} station_portrait_result;

/// Decodes a JPEG or PNG, turns it upright (EXIF orientation), crops its centre to the limits' ratio, shrinks it to
/// at most the target size (never enlarges), flattens transparency onto white, converts to 8-bit sRGB and encodes a
/// baseline JPEG without metadata within `maximum_bytes`. Returns a `station_image_status`.
int station_portrait_normalise(
    const void *data, size_t length, const station_portrait_limits *limits, station_portrait_result *result);

/// Encodes 8-bit pixels (`bands` 1 grey, 3 RGB, 4 RGBA; rows top to bottom) as JPEG (`png` 0, at `quality`, with
/// the EXIF `orientation` tag when 2…8) or PNG (`png` 1). For sample photos in tests and the bench.
int station_image_encode(
    const unsigned char *pixels, int width, int height, int bands, int png, int quality, int orientation,
    unsigned char **out, size_t *out_length);

/// Decodes a JPEG or PNG to 8-bit RGB rows (free with `station_image_free`), as stored (no orientation applied).
int station_image_decode(const void *data, size_t length, unsigned char **rgb, int *width, int *height);

/// Frees what the calls above returned.
void station_image_free(void *pointer);

#endif
