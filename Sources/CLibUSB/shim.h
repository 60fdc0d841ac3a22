// libusb-1.0 headers for Swift. Nothing but includes: the Swift code lives in Biometrics.
#include <libusb.h>
