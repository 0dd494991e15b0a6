#!/bin/sh
# Builds the arm64 test-bed's Debian root in DIR (which must not exist) from MIRROR (a Debian
# mirror URL) and SUITE: mmdebstrap's `extract` variant downloads the packages of `packages`
# (beside this script) with their dependencies and unpacks them, running no maintainer script
# (this x86_64 host cannot run arm64 ones without binfmt_misc); then the few things those
# scripts would have done that the test-bed needs: merged /usr, /etc/passwd and /etc/group,
# the dynamic linker's cache (arm64 ldconfig run under qemu-aarch64-static).
# Called by testbed/src/userland.rs, which caches DIR keyed by this script and `packages`.
set -eu
DIR=$1 MIRROR=$2 SUITE=$3
HERE=$(dirname "$0")
PKGS=$(grep -v '^#' "$HERE/packages" | grep -v '^ *$' | tr '\n' ',' | sed 's/,$//')
mmdebstrap --mode=root --variant=extract --architectures=arm64 \
    --setup-hook=/usr/share/mmdebstrap/hooks/merged-usr/setup00.sh \
    --include="$PKGS" "$SUITE" "$DIR" "$MIRROR"
cp "$DIR/usr/share/base-passwd/passwd.master" "$DIR/etc/passwd"
cp "$DIR/usr/share/base-passwd/group.master" "$DIR/etc/group"
[ -e "$DIR/etc/shadow" ] || : > "$DIR/etc/shadow"
echo arm64-testbed > "$DIR/etc/hostname"
# What a package's postinst would have linked or created and the tests use.
[ -e "$DIR/usr/bin/sh" ] || ln -s dash "$DIR/usr/bin/sh"
mkdir -p "$DIR/proc" "$DIR/sys" "$DIR/dev" "$DIR/tmp" "$DIR/run" "$DIR/root" "$DIR/var/tmp" "$DIR/var/lib/dbus"
chmod 1777 "$DIR/tmp" "$DIR/var/tmp"
# The alternatives libblas3/liblapack3 register in their postinst (ffmpeg needs libblas.so.3).
LIB="$DIR/usr/lib/aarch64-linux-gnu"
for l in blas/libblas.so.3 lapack/liblapack.so.3; do
    [ -e "$LIB/$l" ] && [ ! -e "$LIB/${l#*/}" ] && ln -s "$l" "$LIB/${l#*/}"
done
qemu-aarch64-static -L "$DIR" "$DIR/sbin/ldconfig" -r "$DIR"
# The guest's init lives in the repository (vatrace.repo=), mounted by a copy of it the runner
# places here before each boot: testbed/src/userland.rs.
mkdir -p "$DIR/vatrace"
