#!/bin/sh
# need-pkgs.sh PKG... - install the Debian packages the build needs when missing.
# As root: apt-get update, then install without recommends. Otherwise print
# the exact command to run and fail.
set -eu
missing=
for p in "$@"; do
	case " $missing " in *" $p "*) continue ;; esac
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "make: missing Debian packages:$missing" >&2
	echo "make: run as root:  apt-get update && $cmd" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get -q update >/dev/null
# shellcheck disable=SC2086
apt-get -q install -y --no-install-recommends $missing >/dev/null
