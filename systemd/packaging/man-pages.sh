#!/bin/sh
# man-pages.sh GENERATE_MANUAL OUT_DIR PROGRAM...: the man pages of each PROGRAM (an ArgumentParser executable),
# one page per command, into OUT_DIR, with the Vietnamese intact.
# generate-manual (swift-argument-parser) silently drops every non-ASCII character. So the help it reads is
# given to it with each non-ASCII character written as the ASCII token @uXXXX@, and the tokens in its output are
# turned into groff's own escape \[uXXXX] (what preconv writes): the pages are ASCII and render as Vietnamese.
set -eu
generate_manual=$1 out=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
for program in "$@"; do
    name=$(basename "$program")
    # generate-manual runs the tool with --experimental-dump-help; this stand-in answers for it.
    cat > "$work/$name" <<WRAPPER
#!/bin/sh
"$(cd "$(dirname "$program")" && pwd)/$name" "\$@" | perl -CSD -pe 's/([^\x00-\x7F])/sprintf("\@u%04X\@", ord(\$1))/ge'
WRAPPER
    chmod 0755 "$work/$name"
    "$generate_manual" "$work/$name" --multi-page --authors issuance-station -o "$out"
done
for page in "$out"/*.1; do
    # Tokens to groff escapes; an empty line (a paragraph break in the help text) to mdoc's paragraph macro.
    perl -pi -e 's/\@u([0-9A-F]{4,6})\@/\\[u$1]/g; s/^$/.Pp/' "$page"
    if LC_ALL=C grep -q '[^ -~	]' "$page" || grep -q '@u[0-9A-F]*@' "$page"; then
        echo "man-pages.sh: $page still has a raw non-ASCII character or an unconverted token" >&2
        exit 1
    fi
done
