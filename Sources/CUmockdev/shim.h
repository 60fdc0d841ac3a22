// libumockdev's testbed API (umockdev_testbed_new, add_from_string, uevent, load_ioctl, remove_device), used only
// by the biometrics-hotplug-probe test helper, which runs under umockdev-wrapper (LD_PRELOAD libumockdev-preload).
#include <umockdev.h>
