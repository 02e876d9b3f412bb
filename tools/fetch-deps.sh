#!/bin/sh
# fetch-deps.sh - fetch the pinned lwIP, Mbed TLS and libslirp sources into
# build/deps/.
#
# All come from Debian source packages so that Debian's security patches are
# applied on top of the pinned upstream release. (libslirp is built from
# source, not taken from the system's shared library, so that the host server
# can link statically: see docs/architecture.md, "Host memory".) The system's apt
# configuration is never modified: a private sources list and index directory
# live under build/apt/, with the mirror and keyring taken from the machine's
# own Debian sources. Any Debian revision of the pinned upstream version is
# accepted (the archive keeps only the newest), but the upstream .orig tarball
# must match the pinned SHA-256. apt checks the .dsc and tarballs against the
# archive's signed index; dpkg-source then applies the Debian patches. Where
# the mirror lacks a .dsc (seen for libslirp), the tarballs apt did fetch are
# checked against the signed index's SHA-256 and the patches in
# debian/patches/series applied with patch(1).
#
# Usage: tools/fetch-deps.sh            (from the repository root)
# Environment: LWIP_DIR / MBEDTLS_DIR / SLIRP_DIR
#                                       use an existing tree, skip that fetch
#              DEBIAN_MIRROR            override the archive URI
#              DEBIAN_KEYRING           override the Signed-By keyring
#              BUILD                    build directory (default: build)
set -eu

LWIP_UPSTREAM=2.2.1
LWIP_ORIG_SHA256=83729c274c499d3348e9fbbe043a3113f3fa8953e7efddc7c21c7fcbb1f2b7b1
MBEDTLS_UPSTREAM=3.6.6
MBEDTLS_ORIG_SHA256=8fb65fae8dcae5840f793c0a334860a411f884cc537ea290ce1c52bb64ca007a
SLIRP_UPSTREAM=4.8.0
SLIRP_ORIG_SHA256=1c2e3d30e41a055ed41f9d0b3234d0d143bc28f5ad84bb101413f830844df757
SUITE=trixie

BUILD=${BUILD:-build}
DEPS=$BUILD/deps
APTDIR=$BUILD/apt
STAMP=$DEPS/versions.stamp

die() { echo "fetch-deps: $*" >&2; exit 1; }
say() { echo "fetch-deps: $*"; }

# A package is wanted unless the user points at an existing tree.
want_lwip=1; want_mbedtls=1; want_slirp=1
[ -n "${LWIP_DIR:-}" ] && want_lwip=0
[ -n "${MBEDTLS_DIR:-}" ] && want_mbedtls=0
[ -n "${SLIRP_DIR:-}" ] && want_slirp=0

# Fast path: an unpacked tree whose stamp names the pinned upstream version.
have() { # name upstream
	[ -d "$DEPS/$1/src" ] || [ -d "$DEPS/$1/library" ] || return 1
	grep -q "^$1 $2[+~-]" "$STAMP" 2>/dev/null || grep -q "^$1 $2 " "$STAMP" 2>/dev/null
}
[ $want_lwip = 1 ] && have lwip "$LWIP_UPSTREAM" && want_lwip=0
[ $want_mbedtls = 1 ] && have mbedtls "$MBEDTLS_UPSTREAM" && want_mbedtls=0
[ $want_slirp = 1 ] && have libslirp "$SLIRP_UPSTREAM" && want_slirp=0
[ $want_lwip = 0 ] && [ $want_mbedtls = 0 ] && [ $want_slirp = 0 ] && exit 0

for tool in apt-get apt-cache dpkg-source sha256sum patch tar; do
	command -v $tool >/dev/null 2>&1 ||
		die "$tool not found (Debian packages apt and dpkg-dev); on a non-Debian system set LWIP_DIR=, MBEDTLS_DIR= and SLIRP_DIR= to unpacked source trees"
done

# --- The machine's Debian mirror and keyring --------------------------------
# Take the first 'deb' entry for a release suite (no '-security'/'-updates'
# suffix) with component main, from deb822 .sources files or one-line lists.
find_mirror() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && comps ~ /(^| )main( |$)/ && uris != "") {
				n = split(suites, s, " ")
				for (i = 1; i <= n; i++)
					if (s[i] !~ /-/) { split(uris, u, " "); print u[1], (key == "" ? "-" : key); exit 0 }
			}
			types = uris = suites = comps = key = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{
			f = $1; sub(/:$/, "", f); $1 = ""; sub(/^ +/, "")
			if (f == "Types") types = $0
			else if (f == "URIs") uris = $0
			else if (f == "Suites") suites = $0
			else if (f == "Components") comps = $0
			else if (f == "Signed-By") key = $0
		}
		END { flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '
		$1 != "deb" { next }
		{
			key = "-"; i = 2
			if ($2 ~ /^\[/) {
				for (; i <= NF; i++) {
					o = $i; gsub(/[][]/, "", o)
					if (o ~ /^signed-by=/) { sub(/^signed-by=/, "", o); key = o }
					if ($i ~ /\]$/) { i++; break }
				}
			}
			uri = $i; suite = $(i + 1)
			main = 0
			for (j = i + 2; j <= NF; j++) if ($j == "main") main = 1
			if (suite !~ /-/ && main) { print uri, key; exit 0 }
		}' "$f"
	done
}

mirror=${DEBIAN_MIRROR:-}
keyring=${DEBIAN_KEYRING:-}
if [ -z "$mirror" ] || [ -z "$keyring" ]; then
	found=$(find_mirror | head -n 1)
	[ -n "$found" ] || [ -n "$mirror" ] ||
		die "no Debian 'deb ... main' entry in /etc/apt; set DEBIAN_MIRROR=http://deb.debian.org/debian"
	[ -n "$mirror" ] || mirror=${found%% *}
	if [ -z "$keyring" ]; then
		keyring=${found#* }
		[ "$keyring" = "-" ] || [ -z "$found" ] && keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	fi
fi
[ -r "$keyring" ] || die "keyring $keyring not readable (package debian-archive-keyring)"

# --- Private apt configuration ------------------------------------------------
mkdir -p "$APTDIR/lists/partial" "$DEPS/download"
APTDIR_ABS=$(cd "$APTDIR" && pwd)
echo "deb-src [signed-by=$keyring] $mirror $SUITE main" >"$APTDIR/sources.list"
set -- -o "Dir::Etc::SourceList=$APTDIR_ABS/sources.list" \
	-o Dir::Etc::SourceParts=- \
	-o "Dir::State::Lists=$APTDIR_ABS/lists" \
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
	-o Acquire::Languages=none
# As root apt would drop to the _apt user, which cannot write under build/.
[ "$(id -u)" = 0 ] && set -- "$@" -o APT::Sandbox::User=root

say "updating private index ($mirror $SUITE main)"
apt-get -q "$@" update >"$APTDIR/update.log" 2>&1 ||
	{ cat "$APTDIR/update.log" >&2; die "apt-get update failed"; }

# Newest Debian revision of the pinned upstream version (versions in the
# index look like 2.2.1+dfsg1-1+deb13u1 or 3.6.6-0.1~deb13u1).
fetch() { # name upstream sha256 -- apt options
	name=$1 upstream=$2 sha=$3; shift 4
	ver=$(apt-cache "$@" showsrc "$name" 2>/dev/null |
		awk -v up="$upstream" '
			/^Package: / { pkg = $2 }
			/^Version: / { v = $2; u = v; sub(/-[^-]*$/, "", u); sub(/[+~].*$/, "", u)
				if (u == up) print v }' |
		sort -V | tail -n 1)
	[ -n "$ver" ] || die "no $name $upstream.* source package in $SUITE"
	say "$name $ver"
	dsc=$DEPS/download/${name}_$(echo "$ver" | sed 's/^[0-9]*://').dsc
	(cd "$DEPS/download" && apt-get -q "$@" source --download-only "$name=$ver") \
		>"$DEPS/download/$name.log" 2>&1 || {
		# Only a missing .dsc is forgiven: the tarballs are checked below.
		if grep -q '^E: Failed to fetch .*\.dsc ' "$DEPS/download/$name.log" &&
			! grep '^E: ' "$DEPS/download/$name.log" | grep -v -q -e '\.dsc ' -e 'Failed to fetch some archives'; then
			rm -f "$dsc"
		else
			cat "$DEPS/download/$name.log" >&2; die "apt-get source $name=$ver failed"
		fi
	}
	orig=
	for f in "$DEPS/download/${name}_${upstream}"*.orig.tar.*; do
		case $f in *.asc) ;; *) [ -f "$f" ] && orig=$f ;; esac
	done
	[ -n "$orig" ] || die "no .orig tarball for $name $ver"
	got=$(sha256sum "$orig" | cut -d ' ' -f 1)
	[ "$got" = "$sha" ] || die "SHA-256 mismatch for $orig: got $got, pinned $sha"
	say "$(basename "$orig"): SHA-256 ok"
	rm -rf "${DEPS:?}/$name" "${DEPS:?}/$name.tmp"
	if [ -f "$dsc" ]; then
		dpkg-source --no-copy -x "$dsc" "$DEPS/$name.tmp" >"$DEPS/download/$name.unpack.log" 2>&1 ||
			{ cat "$DEPS/download/$name.unpack.log" >&2; die "dpkg-source -x $dsc failed"; }
	else
		unpack_nodsc "$name" "$ver" "$orig" -- "$@"
	fi
	mv "$DEPS/$name.tmp" "$DEPS/$name"
	# Replace this package's line in the stamp.
	{ grep -v "^$name " "$STAMP" 2>/dev/null || true; echo "$name $ver $sha"; } >"$STAMP.tmp"
	mv "$STAMP.tmp" "$STAMP"
	say "unpacked into $DEPS/$name"
}

# No .dsc: check the Debian tarball against the signed index (Sources'
# Checksums-Sha256), then unpack both and apply the quilt series in order.
unpack_nodsc() { # name version orig -- apt options
	name=$1 ver=$2 orig=$3; shift 4
	deb=$DEPS/download/${name}_$(echo "$ver" | sed 's/^[0-9]*://').debian.tar.xz
	[ -f "$deb" ] || die "no .dsc and no $deb for $name $ver"
	want=$(apt-cache "$@" showsrc "$name" 2>/dev/null |
		awk -v f="$(basename "$deb")" '
			/^Checksums-Sha256:/ { on = 1; next }
			/^[^ ]/ { on = 0 }
			on && $3 == f { print $1; exit }')
	got=$(sha256sum "$deb" | cut -d ' ' -f 1)
	[ -n "$want" ] && [ "$got" = "$want" ] || die "SHA-256 mismatch for $deb: got $got, index ${want:-none}"
	say "$(basename "$deb"): SHA-256 ok (no .dsc on the mirror)"
	mkdir -p "$DEPS/$name.tmp"
	tar -xf "$orig" -C "$DEPS/$name.tmp" --strip-components=1
	tar -xf "$deb" -C "$DEPS/$name.tmp"
	if [ -f "$DEPS/$name.tmp/debian/patches/series" ]; then
		sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$DEPS/$name.tmp/debian/patches/series" |
		while read -r p opt; do
			patch -d "$DEPS/$name.tmp" -s -N ${opt:--p1} <"$DEPS/$name.tmp/debian/patches/$p" ||
				die "patch $p failed"
		done
	fi
}

[ $want_lwip = 1 ] && fetch lwip "$LWIP_UPSTREAM" "$LWIP_ORIG_SHA256" -- "$@"
[ $want_mbedtls = 1 ] && fetch mbedtls "$MBEDTLS_UPSTREAM" "$MBEDTLS_ORIG_SHA256" -- "$@"
[ $want_slirp = 1 ] && fetch libslirp "$SLIRP_UPSTREAM" "$SLIRP_ORIG_SHA256" -- "$@"
exit 0
