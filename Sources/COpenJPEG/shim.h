// OpenJPEG 2.x headers for Swift (JPEG 2000 lossless). Nothing but includes.
#include <openjpeg.h>
