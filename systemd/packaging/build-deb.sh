#!/bin/sh
# build-deb.sh BIN_DIR GENERATE_MANUAL OUT_DIR [VERSION]: the stationd .deb, built with Debian's own tools:
# the files staged by install-files.sh, Depends found by dpkg-shlibdeps (plus pcscd and libccid, which are talked
# to rather than linked, and libvips42, opened at the first portrait rather than linked), the maintainer scripts of packaging/debian, dpkg-deb --root-owner-group.
# Prints the .deb's path. BIN_DIR must hold release builds with the Swift runtime linked statically
# (`make release`): a Swift runtime linked dynamically is in no Debian package, so such a .deb could not run.
set -eu
bindir=$1 generate_manual=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=${4:-0.1.$(git -C "$root" rev-list --count HEAD 2>/dev/null || echo 0)}
arch=$(dpkg --print-architecture)
# The maintainer as dch takes it: DEBFULLNAME and DEBEMAIL (or EMAIL), else the git identity, else user@host.
name=${DEBFULLNAME:-$(git -C "$root" config user.name || echo issuance-station)}
email=${DEBEMAIL:-${EMAIL:-$(git -C "$root" config user.email || echo "$(id -un)@$(hostname --fqdn)")}}
maintainer="$name <$email>"
programs="stationd stationctl"

for program in $programs; do
    if readelf -d "$bindir/$program" | grep -q 'NEEDED.*libswiftCore'; then
        echo "build-deb.sh: $bindir/$program links the Swift runtime dynamically: build it with 'make release'" >&2
        exit 1
    fi
done

mkdir -p "$out"
stage=$(mktemp -d "$out/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# Staged as debhelper would (debian/PACKAGE beside debian/control), which is where dpkg-shlibdeps expects it.
package="$stage/src/debian/stationd"
mkdir -p "$package"
"$here/install-files.sh" "$package" "$bindir" "$generate_manual"

# What dh_strip does (no -dbgsym package: keep .build/release for symbolicating a crash).
for program in $programs; do
    strip --remove-section=.comment --strip-unneeded "$package/usr/bin/$program"
done

# Debian documentation files
install -m 0644 "$here/debian/copyright" "$package/usr/share/doc/stationd/copyright"
printf 'stationd (%s) bookworm; urgency=medium\n\n  * Built from issuance-station %s.\n\n -- %s  %s\n' \
    "$version" "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" "$maintainer" "$(date -R)" \
    | gzip -9n > "$package/usr/share/doc/stationd/changelog.gz"
chmod 0644 "$package/usr/share/doc/stationd/changelog.gz"
# Modes lintian flags on purpose: the configuration may hold the enrollment token.
install -D -m 0644 "$here/debian/lintian-overrides" "$package/usr/share/lintian/overrides/stationd"
gzip -9n "$package/usr/share/doc/stationd/README.md"

# Depends of the linked libraries, as dpkg-shlibdeps finds them (it wants a debian/control beside it).
printf 'Source: stationd\n\nPackage: stationd\nArchitecture: any\n' > "$stage/src/debian/control"
install -d -m 0755 "$package/DEBIAN"
shlibs=$(cd "$stage/src" && dpkg-shlibdeps -O $(for p in $programs; do echo "debian/stationd/usr/bin/$p"; done) \
    | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "build-deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$(du -sk --exclude=DEBIAN "$package" | cut -f1)/" \
    -e "s/@SHLIBS@/$shlibs/" -e "s|@MAINTAINER@|$maintainer|" "$here/debian/control.in" > "$package/DEBIAN/control"
printf '%s\n' /etc/stationd/stationd.conf /etc/pam.d/stationd > "$package/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "$here/debian/$script" "$package/DEBIAN/$script"; done
(cd "$package" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
    > "$package/DEBIAN/md5sums"
chmod 0644 "$package/DEBIAN/control" "$package/DEBIAN/conffiles" "$package/DEBIAN/md5sums"

deb="$out/stationd_${version}_$arch.deb"
dpkg-deb --root-owner-group -Zxz --build "$package" "$deb" >/dev/null
echo "$deb"
