#!/bin/sh
# install-files.sh DESTDIR BIN_DIR GENERATE_MANUAL: the station's files where Debian expects them, under DESTDIR
# (empty = this machine). Builds nothing: `make install` builds the release first, `make deb` stages through this.
# Ownership is left to the package's postinst (systemd-sysusers and systemd-tmpfiles create the user and groups and
# give /etc/stationd and its configuration to group stationd); the modes are set here.
set -eu
destdir=$1 bindir=$2 generate_manual=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
programs="stationd stationctl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for program in $programs; do
    [ -x "$bindir/$program" ] || { echo "install-files.sh: $bindir/$program is missing: build it first" >&2; exit 1; }
done

d() { install -d -m "$1" "$destdir$2"; }
f() { install -D -m "$1" "$2" "$destdir$3"; }

# Programs
for program in $programs; do f 0755 "$bindir/$program" /usr/bin/$program; done

# systemd: units, the user and groups, the directories
f 0644 "$root/systemd/stationd.service" /usr/lib/systemd/system/stationd.service
f 0644 "$root/systemd/stationd.socket" /usr/lib/systemd/system/stationd.socket
# The console's password helper (PAM as root for the daemon, which is not)
f 0644 "$root/systemd/stationd-pam.service" /usr/lib/systemd/system/stationd-pam.service
f 0644 "$root/systemd/stationd-pam.socket" /usr/lib/systemd/system/stationd-pam.socket
f 0644 "$root/systemd/stationd.sysusers.conf" /usr/lib/sysusers.d/stationd.conf
f 0644 "$root/systemd/stationd.tmpfiles.conf" /usr/lib/tmpfiles.d/stationd.conf

# Devices: fingerprint modules' usbfs nodes to group stationd; pcscd access under polkit; device profiles
f 0644 "$root/Devices/udev/70-stationd-fingerprint.rules" /usr/lib/udev/rules.d/70-stationd-fingerprint.rules
f 0644 "$root/systemd/50-stationd-pcsc.rules" /usr/share/polkit-1/rules.d/50-stationd-pcsc.rules
# The web console's PAM service (the officer's own account; a conffile)
f 0644 "$root/systemd/stationd.pam" /etc/pam.d/stationd
for profile in "$root"/Devices/biometric/*.json; do
    f 0644 "$profile" "/usr/share/stationd/biometric/$(basename "$profile")"
done
for profile in "$root"/Devices/readers/*.json; do
    f 0644 "$profile" "/usr/share/stationd/readers/$(basename "$profile")"
done
# The web console's page (stationd serves it from here on the TCP listener; a build serves its resource bundle)
for asset in "$root"/Sources/Station/Console/Assets/*; do
    f 0644 "$asset" "/usr/share/stationd/console/$(basename "$asset")"
done

# Configuration with every key at its default (a conffile in the package; it may hold the enrollment token, so
# it is not world-readable), and the CSCA trust-anchor folder the authority's certificates go into
d 0750 /etc/stationd
f 0640 "$root/Devices/config/stationd.conf.example" /etc/stationd/stationd.conf
d 0755 /etc/stationd/trust

# Manual pages (one per command) and shell completions, from the programs themselves
"$root/systemd/packaging/man-pages.sh" "$generate_manual" "$work/man" $(for p in $programs; do echo "$bindir/$p"; done)
d 0755 /usr/share/man/man1
for page in "$work"/man/*.1; do
    gzip -9n < "$page" > "$destdir/usr/share/man/man1/$(basename "$page").gz"
    chmod 0644 "$destdir/usr/share/man/man1/$(basename "$page").gz"
done
d 0755 /usr/share/bash-completion/completions
d 0755 /usr/share/zsh/vendor-completions
d 0755 /usr/share/fish/vendor_completions.d
for program in $programs; do
    # bash-completion sources these files: no #! line.
    "$bindir/$program" --generate-completion-script bash | sed '1{/^#!/d}' > "$work/$program.bash"
    "$bindir/$program" --generate-completion-script zsh > "$work/$program.zsh"
    "$bindir/$program" --generate-completion-script fish > "$work/$program.fish"
    f 0644 "$work/$program.bash" /usr/share/bash-completion/completions/$program
    f 0644 "$work/$program.zsh" /usr/share/zsh/vendor-completions/_$program
    f 0644 "$work/$program.fish" /usr/share/fish/vendor_completions.d/$program.fish
done

# Documentation
f 0644 "$root/README.md" /usr/share/doc/stationd/README.md
f 0644 "$root/Devices/config/stationd.conf.example" /usr/share/doc/stationd/examples/stationd.conf
