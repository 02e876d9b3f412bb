#!/bin/sh
# need-pkgs.sh PKG... - install the Debian packages the build needs when missing.
# As root: apt-get update, then install without recommends. Otherwise print
# the exact command to run and fail.
set -eu

missing() {
	m=
	for p in "$@"; do
		case " $m " in *" $p "*) continue ;; esac
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$st" = installed ] || m="$m $p"
	done
	echo "$m"
}

need=$(missing "$@")
[ -z "$need" ] && exit 0
cmd="apt-get install -y --no-install-recommends$need"
if [ "$(id -u)" != 0 ]; then
	echo "make: missing Debian packages:$need" >&2
	echo "make: run as root:  apt-get update && $cmd" >&2
	exit 1
fi

# make -j may run several of these at once: one installs, the others wait
# and then find their packages present.
exec 9>"${TMPDIR:-/tmp}/imapd-need-pkgs.lock"
flock 9
need=$(missing "$@")
[ -z "$need" ] && exit 0
echo "installing:$need"
export DEBIAN_FRONTEND=noninteractive
apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null
# shellcheck disable=SC2086
apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $need >/dev/null
