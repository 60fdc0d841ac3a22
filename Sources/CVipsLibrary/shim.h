// libvips (Debian's libvips-dev) for the CVips shim: its compile and link flags come from pkg-config (vips).
// Swift never imports this; only the C shim (Sources/CVips) includes libvips.
#include <vips/vips.h>
