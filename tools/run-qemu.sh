#!/bin/sh
# run-qemu.sh FIRMWARE.elf - boot the imapd firmware in QEMU (mps2-an385).
#
# The mail image ($IMAGE, default build/run/qemu-mps2-an385.img) is created
# by the firmware on first boot; this script then provisions a demo user
# with a random password (kept in $IMAGE.credentials, mode 600) and prints
# how to connect once the firmware is ready. The next run finds the same
# mail. Ctrl-C stops QEMU.
#
# Environment: IMAGE, RUN_USER (demo), IMAP_PORT (1143), IMAPS_PORT (1993),
# FW_LOG (1; 2 = debug), FW_ARGS (extra key=value settings, see
# boards/qemu-mps2-an385/board_config.h).
set -eu

fw=${1:?usage: run-qemu.sh FIRMWARE.elf}
image=${IMAGE:-build/run/qemu-mps2-an385.img}
user=${RUN_USER:-demo}
imap_port=${IMAP_PORT:-1143}
imaps_port=${IMAPS_PORT:-1993}

command -v qemu-system-arm >/dev/null || {
	echo "run-qemu.sh: qemu-system-arm missing (apt-get install qemu-system-arm)" >&2
	exit 1
}
mkdir -p "$(dirname "$image")"
# Semihosting paths travel on one command line split at spaces and commas.
abs_image=$(cd "$(dirname "$image")" && pwd)/$(basename "$image")
case $abs_image in *[\ ,]*)
	echo "run-qemu.sh: the image path may not contain spaces or commas: $abs_image" >&2
	exit 1 ;;
esac
creds=$abs_image.credentials

# An image of an older store format (storage/FORMAT.md: byte 3 of a sector's
# erase header) is not mounted by this firmware, nor formatted over: keep it
# aside and start a new one.
fmt=$(sed -n 's/^#define FMT_VERSION \([0-9]*\)u.*/\1/p' "$(dirname "$0")/../storage/store_int.h")
if [ -r "$abs_image" ] && [ "$(head -c 3 "$abs_image")" = MSE ]; then
	old=$(od -An -tu1 -j3 -N1 "$abs_image" | tr -d ' ')
	if [ -n "$fmt" ] && [ "$old" != "$fmt" ]; then
		mv "$abs_image" "$abs_image.format$old"
		echo "run-qemu.sh: $image holds store format $old, this firmware reads format $fmt:" \
			"moved it to $image.format$old; starting a new image"
	fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
if [ ! -e "$abs_image" ]; then
	password=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 16)
	(umask 077 && printf 'user %s\npassword %s\n' "$user" "$password" >"$creds")
	echo "run-qemu.sh: first run: creating $image with user $user"
fi
# The firmware applies the provisioning file only to an image without users
# (a new one, or one whose first boot was interrupted).
provision=
if [ -r "$creds" ]; then
	user=$(sed -n 's/^user //p' "$creds")
	password=$(sed -n 's/^password //p' "$creds")
	(umask 077 && printf 'user %s %s\n' "$user" "$password" >"$tmp/provision")
	provision=",arg=provision=$tmp/provision"
else
	password="(set when $image was created; $creds is missing)"
fi

banner() {
	cat <<EOT
----------------------------------------------------------------------
imapd is running in QEMU ($(basename "$(dirname "$fw")")). Connect with any IMAP client:
server: 127.0.0.1
ports: $imaps_port (IMAPS, TLS) and $imap_port (IMAP, STARTTLS)
user: $user
password: $password
certificate fingerprint (SHA-256): $1
  openssl s_client -connect 127.0.0.1:$imaps_port -quiet
  curl -k "imaps://127.0.0.1:$imaps_port/INBOX;UID=1" --user '$user:$password'
Mail is kept in $image across runs. Ctrl-C stops.
----------------------------------------------------------------------
EOT
}

# The firmware prints the certificate fingerprint, then "imapd ready".
qemu-system-arm -M mps2-an385 -display none -monitor none \
	-chardev stdio,id=con,signal=on -serial chardev:con \
	-semihosting-config "enable=on,target=native,arg=firmware,arg=image=$abs_image$provision,arg=log=${FW_LOG:-1}${FW_ARGS:+,arg=}$(echo "${FW_ARGS:-}" | sed 's/ /,arg=/g')" \
	-nic "user,hostfwd=tcp:127.0.0.1:$imap_port-:143,hostfwd=tcp:127.0.0.1:$imaps_port-:993" \
	-kernel "$fw" 2>&1 | {
	fingerprint="(none: TLS is off)"
	while IFS= read -r line; do
		line=$(printf '%s' "$line" | tr -d '\r')
		printf '%s\n' "$line"
		case $line in
		*"certificate SHA-256 fingerprint: "*) fingerprint=${line##*fingerprint: } ;;
		*"imapd ready on"*) banner "$fingerprint" ;;
		esac
	done
}
