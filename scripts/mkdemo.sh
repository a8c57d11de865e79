#!/bin/bash
# Builds testdata/demo/acme-cam.bin, the demo firmware image the README
# scans: a U-Boot uImage holding an xz squashfs root file system, followed
# by a JFFS2 config partition, as on many small MIPS devices.
#
# The root file system is testdata/demo/rootfs plus real Debian bookworm
# mipsel binaries (busybox, dnsmasq, dropbear), a weak RSA key and a
# long-lived self-signed certificate. Needs: apt-get (mipsel multiarch:
# dpkg --add-architecture mipsel && apt-get update), squashfs-tools,
# mtd-utils, u-boot-tools, openssl.
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/demo/acme-cam.bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1764547200 # 2025-12-01

(cd "$work" && for p in busybox dnsmasq-base dropbear-bin; do apt-get download -q "$p:mipsel" >/dev/null 2>&1; done)
for d in "$work"/*.deb; do dpkg-deb -x "$d" "$work/debs"; done

root=$work/rootfs
cp -a testdata/demo/rootfs "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,tmp,proc,sys,dev,var/run,etc/ssl/private,etc/dropbear,usr/lib/opkg}
install -m 755 "$work/debs/bin/busybox" "$root/bin/busybox"
for a in sh ash ls cat mount umount ping; do ln -sf busybox "$root/bin/$a"; done
for a in telnetd httpd udhcpc; do ln -sf /bin/busybox "$root/usr/sbin/$a"; done
install -m 755 "$work/debs/usr/sbin/dnsmasq" "$root/usr/sbin/dnsmasq"
install -m 755 "$work/debs/usr/sbin/dropbear" "$root/usr/sbin/dropbear"
cat > "$root/usr/lib/opkg/status" <<'STATUS'
Package: busybox
Version: 1.35.0-1
Depends: libc
Status: install user installed
Architecture: mipsel_24kc

Package: dnsmasq
Version: 2.90-1
Depends: libc
Status: install user installed
Architecture: mipsel_24kc

Package: dropbear
Version: 2022.83-1
Depends: libc
Status: install user installed
Architecture: mipsel_24kc
STATUS
openssl genrsa -out "$root/etc/ssl/private/device.key" 1024 2>/dev/null
openssl req -new -x509 -key "$root/etc/ssl/private/device.key" -days 10950 -sha1 \
	-subj "/C=US/O=Acme Cameras/CN=acme-cam.local" -out "$root/etc/ssl/device.crt" 2>/dev/null
chmod 600 "$root/etc/ssl/private/device.key"

mksquashfs "$root" "$work/rootfs.sqfs" -comp xz -all-root -noappend -quiet \
	-p "/dev/console c 600 0 0 5 1" -p "/dev/null c 666 0 0 1 3" >/dev/null
mkimage -A mips -O linux -T filesystem -C none -a 0 -e 0 -n "AcmeCam C1 rootfs 1.0.0" \
	-d "$work/rootfs.sqfs" "$work/rootfs.uimg" >/dev/null

cfg=$work/config
mkdir -p "$cfg"
cat > "$cfg/wireless" <<'CFG'
config wifi-iface 'default'
	option ssid 'AcmeCam-Setup'
	option encryption 'psk2'
	option key 'acmecam2025'
CFG
cat > "$cfg/account" <<'CFG'
admin_user=admin
admin_password=admin
CFG
mkfs.jffs2 -l -e 0x10000 -p 0x20000 -d "$cfg" -o "$work/config.jffs2"

# uImage at 0, JFFS2 at the next 64 KiB boundary, 0xFF padding between.
size=$(stat -c %s "$work/rootfs.uimg")
cfgoff=$(( (size + 0xffff) / 0x10000 * 0x10000 ))
{
	cat "$work/rootfs.uimg"
	head -c $((cfgoff - size)) /dev/zero | tr '\0' '\377'
	cat "$work/config.jffs2"
} > "$out"
printf 'wrote %s (%d bytes; config partition at 0x%x)\n' "$out" "$(stat -c %s "$out")" "$cfgoff"
