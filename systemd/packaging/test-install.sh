#!/bin/sh
# test-install.sh BIN_DIR GENERATE_MANUAL: `make install` into a temporary DESTDIR, then every path and mode Debian
# expects is checked, every installed program answers --help with exit 0 and has a man page with its Vietnamese
# intact, and the installed configuration passes the daemon's own check. Exit 0 only when everything holds.
set -eu
bindir=$1 generate_manual=$2
here=$(cd "$(dirname "$0")" && pwd)
destdir=$(mktemp -d)
trap 'rm -rf "$destdir"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

"$here/install-files.sh" "$destdir" "$bindir" "$generate_manual"

# path mode (files and directories)
while read -r path mode; do
    [ -n "$path" ] || continue
    if [ ! -e "$destdir$path" ]; then fail "$path missing"; continue; fi
    actual=$(stat -c %a "$destdir$path")
    [ "$actual" = "$mode" ] || fail "$path has mode $actual, expected $mode"
done <<'PATHS'
/usr/bin/stationd 755
/usr/bin/stationctl 755
/usr/lib/systemd/system/stationd.service 644
/usr/lib/systemd/system/stationd.socket 644
/usr/lib/systemd/system/stationd-pam.service 644
/usr/lib/systemd/system/stationd-pam.socket 644
/usr/lib/sysusers.d/stationd.conf 644
/usr/lib/tmpfiles.d/stationd.conf 644
/usr/lib/udev/rules.d/70-stationd-fingerprint.rules 644
/usr/share/polkit-1/rules.d/50-stationd-pcsc.rules 644
/usr/share/stationd/biometric/uru4000.json 644
/usr/share/stationd/readers/vpcd.json 644
/usr/share/stationd/console/index.html 644
/usr/share/stationd/console/station.js 644
/etc/stationd 750
/etc/stationd/stationd.conf 640
/etc/stationd/trust 755
/etc/pam.d/stationd 644
/usr/share/man/man1/stationd.1.gz 644
/usr/share/man/man1/stationctl.1.gz 644
/usr/share/man/man1/stationctl.status.1.gz 644
/usr/share/bash-completion/completions/stationctl 644
/usr/share/bash-completion/completions/stationd 644
/usr/share/zsh/vendor-completions/_stationctl 644
/usr/share/fish/vendor_completions.d/stationctl.fish 644
/usr/share/doc/stationd/README.md 644
/usr/share/doc/stationd/examples/stationd.conf 644
PATHS

# Nothing world-writable, nothing setuid/setgid, nothing outside the Debian locations.
[ -z "$(find "$destdir" -perm -o+w ! -type l)" ] || fail "world-writable: $(find "$destdir" -perm -o+w ! -type l)"
[ -z "$(find "$destdir" -perm /6000)" ] || fail "setuid/setgid: $(find "$destdir" -perm /6000)"
unexpected=$(cd "$destdir" && find . -mindepth 1 -maxdepth 2 | grep -v -x -e ./usr -e ./etc -e ./usr/bin -e ./usr/lib \
    -e ./usr/share -e ./etc/stationd -e ./etc/pam.d || true)
[ -z "$unexpected" ] || fail "unexpected top-level paths: $unexpected"
# The units name what is installed.
grep -q '^ExecStart=/usr/bin/stationd run --config /etc/stationd/stationd.conf' \
    "$destdir/usr/lib/systemd/system/stationd.service" || fail "stationd.service does not start /usr/bin/stationd"

# Every installed program (and the kit's central-receiver stand-in) answers --help: usage on stdout, exit 0.
for program in "$destdir"/usr/bin/* "$bindir/central-receiver"; do
    name=$(basename "$program")
    if output=$("$program" --help 2>&1); then :; else fail "$name --help exits $?"; continue; fi
    echo "$output" | grep -q 'USAGE:' || fail "$name --help prints no USAGE"
    if [ "$name" != central-receiver ]; then
        [ -f "$destdir/usr/share/man/man1/$name.1.gz" ] || fail "$name has no man page"
    fi
done

# The package carries no device simulator: the installed stationd says so with a stable code (exit 127).
sim_status=0
sim_output=$("$destdir/usr/bin/stationd" simulate card 2>&1) || sim_status=$?
[ "$sim_status" = 127 ] || fail "installed stationd simulate card exits $sim_status, not 127"
echo "$sim_output" | grep -q 'simulate.not_installed' ||
    fail "installed stationd simulate card: no simulate.not_installed"

# Man pages: ASCII with groff escapes for the Vietnamese, which renders intact.
for page in "$destdir"/usr/share/man/man1/*.gz; do
    if zcat "$page" | LC_ALL=C grep -q '[^ -~	]'; then fail "$(basename "$page") has a raw non-ASCII byte"; fi
done
zcat "$destdir/usr/share/man/man1/stationctl.1.gz" > "$destdir/stationctl.1"
rendered=$(MANWIDTH=200 LC_ALL=C.UTF-8 man -l "$destdir/stationctl.1" 2>/dev/null)
echo "$rendered" | grep -q 'Điều khiển trạm cấp định danh điện tử' \
    || fail "stationctl(1) does not render its Vietnamese abstract: $(echo "$rendered" | sed -n 4p)"
rm "$destdir/stationctl.1"

# The installed configuration (every key at its default) passes the daemon's own check.
if ! check=$("$destdir/usr/bin/stationd" run --check-config --config "$destdir/etc/stationd/stationd.conf" 2>&1); then
    fail "stationd run --check-config refuses the installed configuration: $check"
fi

if [ "$failures" -ne 0 ]; then echo "test-install: $failures failure(s)" >&2; exit 1; fi
echo "test-install: ok ($(cd "$destdir" && find . -type f | wc -l) files)"
