// The portrait's image work through libvips (see include/station_image.h).
#include "station_image.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <vips/vips.h>

// libvips is opened at the first portrait, not linked: linked, it brings about 100 shared libraries (pango, cairo,
// X11's client libraries, HDF5, curl, Kerberos…) into every stationd at start, 16 MB of its idle RSS, although a
// health desk never normalises a photo. Every libvips and GLib function the shim calls goes through a pointer
// filled by dlsym at the first use (the handle's dependencies resolve GLib's); the names below are then macros.
#define STATION_VIPS_FUNCTIONS(X)                                                                                  \
    X(vips_init) X(vips_version) X(vips_cache_set_max) X(vips_block_untrusted_set) X(vips_error_clear)  \
    X(vips_colourspace) X(vips_image_hasalpha) X(vips_array_double_newv) X(vips_flatten) X(vips_area_unref)           \
    X(vips_cast_uchar) X(vips_foreign_find_load_buffer) X(vips_image_new_from_buffer) X(vips_image_get_width)         \
    X(vips_image_get_height) X(vips_image_get_orientation) X(vips_thumbnail_buffer) X(vips_jpegsave_buffer)           \
    X(vips_image_new_from_memory_copy) X(vips_pngsave_buffer) X(vips_image_set_int) X(vips_image_write_to_memory)     \
    X(g_object_unref) X(g_free) X(g_log_set_handler)

#define STATION_VIPS_POINTER(name) static __typeof__(name) *station_##name;
STATION_VIPS_FUNCTIONS(STATION_VIPS_POINTER)
#define vips_init (*station_vips_init)
#define vips_version (*station_vips_version)
#define vips_cache_set_max (*station_vips_cache_set_max)
#define vips_block_untrusted_set (*station_vips_block_untrusted_set)
#define vips_error_clear (*station_vips_error_clear)
#define vips_colourspace (*station_vips_colourspace)
#define vips_image_hasalpha (*station_vips_image_hasalpha)
#define vips_array_double_newv (*station_vips_array_double_newv)
#define vips_flatten (*station_vips_flatten)
#define vips_area_unref (*station_vips_area_unref)
#define vips_cast_uchar (*station_vips_cast_uchar)
#define vips_foreign_find_load_buffer (*station_vips_foreign_find_load_buffer)
#define vips_image_new_from_buffer (*station_vips_image_new_from_buffer)
#define vips_image_get_width (*station_vips_image_get_width)
#define vips_image_get_height (*station_vips_image_get_height)
#define vips_image_get_orientation (*station_vips_image_get_orientation)
#define vips_thumbnail_buffer (*station_vips_thumbnail_buffer)
#define vips_jpegsave_buffer (*station_vips_jpegsave_buffer)
#define vips_image_new_from_memory_copy (*station_vips_image_new_from_memory_copy)
#define vips_pngsave_buffer (*station_vips_pngsave_buffer)
#define vips_image_set_int (*station_vips_image_set_int)
#define vips_image_write_to_memory (*station_vips_image_write_to_memory)
#define g_object_unref (*station_g_object_unref)
#define g_free (*station_g_free)
#define g_log_set_handler (*station_g_log_set_handler)

static pthread_once_t started = PTHREAD_ONCE_INIT;
static int start_failed = 0;

/// Opens Debian's libvips42 and fills every pointer; 0 when one is missing.
static int open_library(void) {
    void *library = dlopen("libvips.so.42", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) return 0;
    int complete = 1;
#define STATION_VIPS_LOOKUP(name)                                                                                   \
    station_##name = (__typeof__(station_##name))dlsym(library, #name);                                            \
    if (station_##name == NULL) complete = 0;
    STATION_VIPS_FUNCTIONS(STATION_VIPS_LOOKUP)
    return complete;
}

/// libvips's warnings (a damaged scan line, an odd EXIF tag) stay out of the daemon's log: a photo that cannot be
/// used fails with a status the caller reports.
static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {
    (void)domain, (void)level, (void)message, (void)data;
}

static void start(void) {
    // VIPS_INIT's ABI check without its g_warning (a direct GLib call): the library this shim was built against.
    if (!open_library() || vips_version(3) - vips_version(5) != VIPS_LIBRARY_CURRENT - VIPS_LIBRARY_AGE
        || vips_init("stationd") != 0) {
        start_failed = 1;
        return;
    }
    // Nothing cached between portraits (each is seen once), and only the loaders Debian marks as trusted.
    vips_cache_set_max(0);
    vips_block_untrusted_set(TRUE);
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, quiet, NULL);
}

static int ready(void) {
    pthread_once(&started, start);
    return !start_failed;
}

/// 1 JPEG, 2 PNG, 0 anything else, from the first bytes.
static int sniff(const unsigned char *bytes, size_t length) {
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return 1;
    if (length >= 8 && memcmp(bytes, png, 8) == 0) return 2;
    return 0;
}

static int fail(int status) {
    vips_error_clear();
    return status;
}

/// `in` as 8-bit sRGB without alpha (transparency over white); unrefs `in`. NULL on failure.
static VipsImage *srgb8(VipsImage *in) {
    VipsImage *colour = NULL, *flat = NULL, *cast = NULL;
    int failed = vips_colourspace(in, &colour, VIPS_INTERPRETATION_sRGB, NULL);
    g_object_unref(in);
    if (failed) return NULL;
    if (vips_image_hasalpha(colour)) {
        VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
        failed = vips_flatten(colour, &flat, "background", white, NULL);
        vips_area_unref(VIPS_AREA(white));
        g_object_unref(colour);
        if (failed) return NULL;
    } else {
        flat = colour;
    }
    failed = vips_cast_uchar(flat, &cast, NULL);
    g_object_unref(flat);
    return failed ? NULL : cast;
}

int station_portrait_normalise(
    const void *data, size_t length, const station_portrait_limits *limits, station_portrait_result *result) {
    memset(result, 0, sizeof *result);
    if (!ready()) return STATION_IMAGE_FAILED;
    result->format = sniff(data, length);
    if (result->format == 0) {
        const char *loader = length > 0 ? vips_foreign_find_load_buffer(data, length) : NULL;
        return fail(loader ? STATION_IMAGE_UNSUPPORTED : STATION_IMAGE_NOT_IMAGE);
    }
    // The header only (decoding waits): size and orientation, to refuse before spending time on pixels.
    VipsImage *header = vips_image_new_from_buffer(data, length, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!header) return fail(STATION_IMAGE_CORRUPT);
    int width = vips_image_get_width(header), height = vips_image_get_height(header);
    int orientation = vips_image_get_orientation(header);
    g_object_unref(header);
    result->orientation = orientation >= 1 && orientation <= 8 ? orientation : 1;
    if (result->orientation >= 5) {
        int swap = width;
        width = height;
        height = swap;
    }
    result->source_width = width;
    result->source_height = height;
    if ((long long)width * height > limits->maximum_pixels) return fail(STATION_IMAGE_TOO_LARGE);
    // The largest centred crop of the target ratio, then at most the target size.
    long long tw = limits->target_width, th = limits->target_height;
    int crop_width = width, crop_height = height;
    if ((long long)width * th > (long long)height * tw) {
        crop_width = (int)((long long)height * tw / th);
    } else {
        crop_height = (int)((long long)width * th / tw);
    }
    if (crop_width < limits->minimum_width || crop_height < limits->minimum_height) {
        return fail(STATION_IMAGE_TOO_SMALL);
    }
    int out_width = crop_width > tw ? (int)tw : crop_width;
    int out_height = crop_width > tw ? (int)th : crop_height;
    // thumbnail: shrink-on-load for JPEG, EXIF autorotation, scale to cover out_width×out_height, centre crop.
    VipsImage *thumb = NULL;
    if (vips_thumbnail_buffer(
            (void *)data, length, &thumb, out_width, "height", out_height, "crop", VIPS_INTERESTING_CENTRE, "size",
            VIPS_SIZE_DOWN, "option_string", "fail_on=truncated", NULL)) {
        return fail(STATION_IMAGE_CORRUPT);
    }
    VipsImage *ready_image = srgb8(thumb);
    if (!ready_image) return fail(STATION_IMAGE_CORRUPT);
    // Decoding happens here: a damaged scan fails now.
    static const int fallbacks[] = {0, 80, 70, 60, 50, 40};
    int status = STATION_IMAGE_CORRUPT;
    for (size_t i = 0; i < sizeof fallbacks / sizeof fallbacks[0]; i++) {
        int quality = i == 0 ? limits->quality : fallbacks[i];
        if (i > 0 && quality >= limits->quality) continue;
        void *buffer = NULL;
        size_t size = 0;
        if (vips_jpegsave_buffer(
                ready_image, &buffer, &size, "Q", quality, "strip", TRUE, "optimize_coding", TRUE, NULL)) {
            status = STATION_IMAGE_CORRUPT;
            break;
        }
        g_free(result->jpeg);
        result->jpeg = buffer;
        result->jpeg_length = size;
        result->quality = quality;
        status = STATION_IMAGE_OK;
        if (size <= limits->maximum_bytes) break;
    }
    if (status == STATION_IMAGE_OK) {
        result->width = vips_image_get_width(ready_image);
        result->height = vips_image_get_height(ready_image);
    } else {
        g_free(result->jpeg);
        result->jpeg = NULL;
        result->jpeg_length = 0;
    }
    g_object_unref(ready_image);
    return status == STATION_IMAGE_OK ? status : fail(status);
}

int station_image_encode(
    const unsigned char *pixels, int width, int height, int bands, int png, int quality, int orientation,
    unsigned char **out, size_t *out_length) {
    *out = NULL;
    *out_length = 0;
    if (!ready()) return STATION_IMAGE_FAILED;
    VipsImage *image = vips_image_new_from_memory_copy(
        pixels, (size_t)width * height * bands, width, height, bands, VIPS_FORMAT_UCHAR);
    if (!image) return fail(STATION_IMAGE_FAILED);
    image->Type = bands >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W;
    void *buffer = NULL;
    size_t size = 0;
    int failed;
    if (png) {
        failed = vips_pngsave_buffer(image, &buffer, &size, NULL);
    } else {
        if (orientation >= 2 && orientation <= 8) vips_image_set_int(image, VIPS_META_ORIENTATION, orientation);
        failed = vips_jpegsave_buffer(image, &buffer, &size, "Q", quality, NULL);
    }
    g_object_unref(image);
    if (failed) return fail(STATION_IMAGE_FAILED);
    *out = buffer;
    *out_length = size;
    return STATION_IMAGE_OK;
}

int station_image_decode(const void *data, size_t length, unsigned char **rgb, int *width, int *height) {
    *rgb = NULL;
    *width = *height = 0;
    if (!ready()) return STATION_IMAGE_FAILED;
    if (sniff(data, length) == 0) return fail(STATION_IMAGE_UNSUPPORTED);
    VipsImage *image = vips_image_new_from_buffer(data, length, "", NULL);
    if (!image) return fail(STATION_IMAGE_CORRUPT);
    VipsImage *plain = srgb8(image);
    if (!plain) return fail(STATION_IMAGE_CORRUPT);
    size_t size = 0;
    void *memory = vips_image_write_to_memory(plain, &size);
    *width = vips_image_get_width(plain);
    *height = vips_image_get_height(plain);
    g_object_unref(plain);
    if (!memory) return fail(STATION_IMAGE_CORRUPT);
    *rgb = memory;
    return STATION_IMAGE_OK;
}

void station_image_free(void *pointer) { g_free(pointer); }
