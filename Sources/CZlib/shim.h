// zlib headers for Swift (PNG deflate/inflate and CRC-32). Nothing but includes.
#include <zlib.h>
