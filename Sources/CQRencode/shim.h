// libqrencode headers for Swift (the receipt's QR code). Nothing but includes.
#include <qrencode.h>
