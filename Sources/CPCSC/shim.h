// PC/SC (pcsc-lite) headers for Swift. Nothing but includes: the Swift code lives in SmartCard.
#include <PCSC/winscard.h>
#include <PCSC/reader.h>
#include <PCSC/wintypes.h>
