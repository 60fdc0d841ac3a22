# test-deb-lifecycle.sh WORK [LOWER]: run by test-deb.sh inside `unshare -m` (a private mount namespace), as root.
# WORK holds v1.deb, v2.deb and (optional) queue-crash-probe. LOWER is the root the overlay starts from: `/` (this
# system) or a fresh debootstrap root, where apt installs the package's dependencies from Debian's registry.
# Nothing outside the namespace's overlay is changed.
set -eu
work=$1
lower=${2:-/}
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

mkdir -p "$work/ovl"
mount -t tmpfs -o mode=0755 tmpfs "$work/ovl"
mkdir "$work/ovl/upper" "$work/ovl/work" "$work/ovl/root"
r="$work/ovl/root"
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$work/ovl/upper,workdir=$work/ovl/work" "$r"
mount --rbind /dev "$r/dev"
mount --bind /proc "$r/proc"
mount --bind /sys "$r/sys"
mount -t tmpfs -o mode=0755 tmpfs "$r/run"       # no systemd, no udev: as in a chroot or an image build
mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
cp "$work/v1.deb" "$work/v2.deb" "$r/tmp/"
in_root() { chroot "$r" "$@"; }
mode_of() { in_root stat -c '%a %U %G' "$1"; }
store="$r/var/lib/stationd"
sums() { (cd "$store" && sha256sum queue.sqlite queue.key 2>/dev/null); }

if in_root dpkg-query -W stationd > /dev/null 2>&1 || [ -e "$store" ]; then
    echo "test-deb: this system already has stationd or /var/lib/stationd; the throw-away root would not be fresh" >&2
    exit 1
fi

# Installs a package file: dpkg over this system (its dependencies are here), apt in a fresh root (they come from
# Debian's registry, as on a technician's machine).
install_deb() {
    if [ "$lower" = / ]; then
        in_root dpkg -i "$1"
    else
        in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" \
            > "$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log" >&2; return 1; }
    fi
}
if [ "$lower" != / ]; then
    cp /etc/resolv.conf "$r/etc/resolv.conf"
    in_root env DEBIAN_FRONTEND=noninteractive apt-get update -q > "$work/apt.log" 2>&1 \
        || { tail -n 20 "$work/apt.log" >&2; fail "apt-get update in the fresh root"; exit 1; }
    for program in stationd pcscd; do
        ! in_root sh -c "command -v $program" > /dev/null || { echo "the fresh root already has $program" >&2; exit 1; }
    done
fi

echo "-- install"
install_deb /tmp/v1.deb || fail "install"
if [ "$lower" != / ]; then
    for dependency in pcscd libccid libpcsclite1; do
        in_root dpkg-query -W -f '${Status}' "$dependency" 2> /dev/null | grep -q "install ok installed" \
            || fail "apt did not bring $dependency with the package"
    done
fi
in_root getent passwd stationd > /dev/null || fail "no user stationd"
in_root getent group stationd-operators > /dev/null || fail "no group stationd-operators"
in_root getent group stationd-supervisors > /dev/null || fail "no group stationd-supervisors"
[ "$(mode_of /var/lib/stationd)" = "700 stationd stationd" ] || fail "/var/lib/stationd is $(mode_of /var/lib/stationd)"
[ "$(mode_of /etc/stationd)" = "750 root stationd" ] || fail "/etc/stationd is $(mode_of /etc/stationd)"
[ "$(mode_of /etc/stationd/stationd.conf)" = "640 root stationd" ] \
    || fail "/etc/stationd/stationd.conf is $(mode_of /etc/stationd/stationd.conf)"
enabled=/etc/systemd/system/sockets.target.wants/stationd.socket
[ -L "$r$enabled" ] || fail "stationd.socket is not enabled ($enabled missing)"
[ -L "$r/etc/systemd/system/sockets.target.wants/stationd-pam.socket" ] \
    || fail "stationd-pam.socket (the console's password helper) is not enabled"
[ ! -L "$r/etc/systemd/system/multi-user.target.wants/stationd.service" ] \
    || fail "stationd.service is enabled (the socket starts it)"
in_root stationd --help > /dev/null || fail "installed stationd --help"
in_root stationctl --help > /dev/null || fail "installed stationctl --help"
in_root stationd run --check-config --config /etc/stationd/stationd.conf > /dev/null \
    || fail "the installed configuration does not pass stationd's check"

echo "-- applications in the store, the technician's configuration"
if [ -x "$work/queue-crash-probe" ]; then
    # Real applications committed (fsync'd) by the Queue module, then the writer killed as in a power cut.
    timeout -s KILL 3 "$work/queue-crash-probe" "$store/queue.sqlite" "$store/queue.key" > "$work/acks" || true
    committed=$(grep -c '^C ' "$work/acks" || true)
    [ "$committed" -gt 0 ] || fail "the probe committed no application"
else
    echo "test-deb: queue-crash-probe not built: the store is stood in for by files"
    head -c 100000 /dev/urandom > "$store/queue.sqlite"
    head -c 32 /dev/urandom > "$store/queue.key"
    : > "$work/acks"
    committed=0
fi
in_root chown -R stationd:stationd /var/lib/stationd
all_present() {
    [ "$committed" -gt 0 ] || return 0
    ids=$(sqlite3 "file:$store/queue.sqlite?mode=ro" 'SELECT lower(id) FROM application')
    for id in $(sed -n 's/^C //p' "$work/acks" | tr 'A-F' 'a-f'); do
        echo "$ids" | grep -qx "$id" || { echo "application $id is missing" >&2; return 1; }
    done
}
all_present || fail "applications missing right after committing"
before=$(sums)
sed -i 's/^commune_code = 00000$/commune_code = 12345/' "$r/etc/stationd/stationd.conf"
cp "$r/etc/stationd/stationd.conf" "$work/conf.edited"
echo "test" > "$r/etc/stationd/trust/csca-anchor.pem"
echo "   $committed applications committed"

echo "-- upgrade"
install_deb /tmp/v2.deb || fail "upgrade"
installed=$(in_root dpkg-query -W -f '${Version}' stationd)
[ "$installed" = "$(dpkg-deb --field "$work/v2.deb" Version)" ] || fail "not upgraded: $installed"
[ "$(sums)" = "$before" ] || fail "upgrade changed the store or its key"
all_present || fail "upgrade lost applications"
cmp -s "$work/conf.edited" "$r/etc/stationd/stationd.conf" || fail "upgrade replaced the technician's configuration"
[ -f "$r/etc/stationd/trust/csca-anchor.pem" ] || fail "upgrade removed a trust anchor"
[ -L "$r$enabled" ] || fail "upgrade disabled stationd.socket"
[ "$(mode_of /var/lib/stationd)" = "700 stationd stationd" ] \
    || fail "after upgrade /var/lib/stationd is $(mode_of /var/lib/stationd)"

echo "-- remove"
in_root dpkg -r stationd
[ ! -e "$r/usr/bin/stationd" ] || fail "remove left /usr/bin/stationd"
[ "$(sums)" = "$before" ] || fail "remove changed the store or its key"
all_present || fail "remove lost applications"
cmp -s "$work/conf.edited" "$r/etc/stationd/stationd.conf" || fail "remove did not keep the configuration"
in_root getent passwd stationd > /dev/null || fail "remove deleted the user"

echo "-- purge without confirmation"
in_root dpkg -P stationd 2> "$work/purge.err" || fail "purge failed: $(cat "$work/purge.err")"
[ ! -e "$r/etc/stationd/stationd.conf" ] || fail "purge left the configuration"
[ ! -L "$r$enabled" ] || fail "purge left the socket's enable link"
[ "$(sums)" = "$before" ] || fail "purge without confirmation removed or changed the store"
grep -q PURGE-QUEUE-CONFIRMED "$work/purge.err" || fail "purge does not say how to remove the queue"

echo "-- purge with a confirmation not made by root"
in_root dpkg -i /tmp/v2.deb > /dev/null
[ "$(sums)" = "$before" ] || fail "reinstall changed the store"
in_root touch /var/lib/stationd/PURGE-QUEUE-CONFIRMED
in_root chown stationd /var/lib/stationd/PURGE-QUEUE-CONFIRMED
in_root dpkg -P stationd 2> /dev/null
[ "$(sums)" = "$before" ] || fail "purge honoured a confirmation file owned by stationd"

echo "-- purge after the technician's confirmation"
in_root dpkg -i /tmp/v2.deb > /dev/null
in_root chown root /var/lib/stationd/PURGE-QUEUE-CONFIRMED
in_root dpkg -P stationd 2> /dev/null
[ ! -e "$store" ] || fail "purge after confirmation left /var/lib/stationd"
in_root dpkg-query -W stationd > /dev/null 2>&1 && fail "stationd still known to dpkg after purge"

exit "$([ "$failures" -eq 0 ] && echo 0 || echo 1)"
