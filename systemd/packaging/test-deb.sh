#!/bin/sh
# test-deb.sh BIN_DIR GENERATE_MANUAL: builds the .deb twice (a version and its upgrade), checks its metadata and
# contents with dpkg-deb (and lintian when installed), then runs its life cycle with the real dpkg and the real
# maintainer scripts in a throw-away root: an overlay of a fresh Debian 12 (debootstrap; or of this system) in a
# private mount namespace, with an empty /run (no systemd, no udev, as in a chroot): install (the dependencies from
# Debian's registry by apt in a fresh root) (user, groups, modes, socket enabled), applications put
# in the store, upgrade (none lost, the administrator's configuration kept), remove (store, keys, configuration
# kept), purge without confirmation (queue kept), purge after the technician's confirmation (queue gone).
# Needs root (mount namespace, chroot). Bounded: STATION_TEST_DEB_TIMEOUT seconds (default 900).
set -eu
bindir=$1 generate_manual=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
probe=${STATION_QUEUE_PROBE:-$root/.build/debug/queue-crash-probe}
work=$(mktemp -d "${TMPDIR:-/tmp}/station-test-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
started=$(date +%s)

base=0.1.$(git -C "$root" rev-list --count HEAD 2>/dev/null || echo 0)
deb1=$("$here/build-deb.sh" "$bindir" "$generate_manual" "$work/out1" "$base")
deb2=$("$here/build-deb.sh" "$bindir" "$generate_manual" "$work/out2" "$base.1")
echo "test-deb: built $(basename "$deb1") ($(du -k "$deb1" | cut -f1) KiB) in $(( $(date +%s) - started )) s"

# Metadata
info=$(dpkg-deb --info "$deb1")
depends=$(dpkg-deb --field "$deb1" Depends)
for dependency in pcscd libccid libc6 libpcsclite1 libusb-1.0-0 libssl3 libopenjp2-7 libvips42 systemd; do
    echo "$depends" | tr ',' '\n' | grep -q "^ *$dependency\( \|$\)" || fail "Depends lacks $dependency: $depends"
done
for script in postinst prerm postrm conffiles md5sums; do
    echo "$info" | grep -q " $script\$" || echo "$info" | grep -q "[0-9] bytes, *[0-9]* lines *\*\? *$script" \
        || fail "control archive lacks $script"
done
conffiles=$(dpkg-deb --ctrl-tarfile "$deb1" | tar -xO ./conffiles | sort | tr '\n' ' ')
[ "$conffiles" = "/etc/pam.d/stationd /etc/stationd/stationd.conf " ] \
    || fail "conffiles is not /etc/pam.d/stationd and /etc/stationd/stationd.conf: $conffiles"

# Contents: owner, mode, path
contents=$(dpkg-deb --contents "$deb1")
expect() { # mode path
    echo "$contents" | grep -q "^$1 root/root .* \./${2#/}\$" || fail "contents: no $1 root/root $2"
}
expect -rwxr-xr-x /usr/bin/stationd
expect -rwxr-xr-x /usr/bin/stationctl
expect -rw-r--r-- /usr/lib/systemd/system/stationd.service
expect -rw-r--r-- /usr/lib/systemd/system/stationd.socket
expect -rw-r--r-- /usr/lib/systemd/system/stationd-pam.socket
expect -rw-r--r-- /usr/lib/systemd/system/stationd-pam.service
expect -rw-r--r-- /usr/lib/sysusers.d/stationd.conf
expect -rw-r--r-- /usr/lib/tmpfiles.d/stationd.conf
expect -rw-r--r-- /usr/lib/udev/rules.d/70-stationd-fingerprint.rules
expect -rw-r--r-- /usr/share/polkit-1/rules.d/50-stationd-pcsc.rules
expect -rw-r----- /etc/stationd/stationd.conf
expect drwxr-xr-x /etc/stationd/trust/
expect -rw-r--r-- /usr/share/doc/stationd/copyright
expect -rw-r--r-- /usr/share/doc/stationd/changelog.gz
expect -rw-r--r-- /usr/share/man/man1/stationctl.1.gz
expect -rw-r--r-- /usr/share/bash-completion/completions/stationctl
if echo "$contents" | grep -q '/var/lib/stationd/.'; then fail "the package ships files in /var/lib/stationd"; fi
if echo "$contents" | grep -qi '\.key$'; then fail "the package ships a key file"; fi

# The packaged (stripped) programs still run.
mkdir "$work/x" && dpkg-deb --extract "$deb1" "$work/x"
for program in stationd stationctl; do
    "$work/x/usr/bin/$program" --help > /dev/null || fail "packaged $program --help exits $?"
done

if command -v lintian > /dev/null; then
    suppress=""
    if [ -z "${DEBEMAIL:-${EMAIL:-$(git -C "$root" config user.email || true)}}" ]; then
        # No maintainer identity on this builder (set DEBEMAIL): the user@host fallback is not judged.
        echo "test-deb: DEBEMAIL not set: lintian's tags on the maintainer address are not counted"
        suppress="--suppress-tags bogus-mail-host,bogus-mail-host-in-debian-changelog,root-in-contact"
    fi
    lintian --fail-on error $suppress "$deb1" || fail "lintian reports errors"
else
    echo "test-deb: lintian not installed, skipped"
fi

# Life cycle in a throw-away root: an overlay over a fresh Debian 12 (debootstrap, minbase; made once and kept in
# .build/deb-root, packages from Debian's registry) or, with STATION_TEST_DEB_BASE=host, over this system.
# STATION_TEST_DEB_BASE=debootstrap makes the fresh root a requirement (CI); auto (default) uses it when
# debootstrap is installed.
[ "$(id -u)" = 0 ] || { echo "test-deb: the life-cycle part needs root" >&2; exit 1; }
cp "$deb1" "$work/v1.deb"
cp "$deb2" "$work/v2.deb"
[ -x "$probe" ] && cp "$probe" "$work/queue-crash-probe"
mode=${STATION_TEST_DEB_BASE:-auto}
lower=/
if [ "$mode" = debootstrap ] || { [ "$mode" = auto ] && command -v debootstrap > /dev/null; }; then
    command -v debootstrap > /dev/null || { echo "test-deb: debootstrap is not installed" >&2; exit 1; }
    # The host's Debian mirror (its apt sources), or STATION_DEBIAN_MIRROR.
    mirror=${STATION_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)\/* *$/\1/p' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)}
    mirror=${mirror:-http://deb.debian.org/debian}
    lower="$root/.build/deb-root/bookworm"
    if [ ! -f "$lower/etc/debian_version" ]; then
        echo "test-deb: debootstrap bookworm (minbase) from $mirror into $lower"
        rm -rf "$lower.partial" && mkdir -p "$(dirname "$lower")"
        boot_started=$(date +%s)
        debootstrap --variant=minbase bookworm "$lower.partial" "$mirror" > "$work/debootstrap.log" 2>&1 \
            || { tail -n 20 "$work/debootstrap.log" >&2; echo "test-deb: debootstrap failed" >&2; exit 1; }
        rm -rf "$lower" && mv "$lower.partial" "$lower"
        echo "test-deb: fresh root made in $(( $(date +%s) - boot_started )) s"
    fi
    echo "test-deb: life cycle in a fresh Debian $(cat "$lower/etc/debian_version") root (dependencies from $mirror)"
else
    echo "test-deb: life cycle in an overlay of this system (STATION_TEST_DEB_BASE=$mode)"
fi
timeout "${STATION_TEST_DEB_TIMEOUT:-900}" unshare -m --propagation private \
    sh -eu "$here/test-deb-lifecycle.sh" "$work" "$lower" || fail "life cycle (see above)"

echo "test-deb: $(( $(date +%s) - started )) s"
if [ "$failures" -ne 0 ]; then echo "test-deb: $failures failure(s)" >&2; exit 1; fi
echo "test-deb: ok"
