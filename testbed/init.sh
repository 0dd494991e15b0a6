#!/bin/sh
# PID 1 of the vatrace test-bed guest (see testbed/src/run.rs).
# The root filesystem is the host's, read-only over 9p. This script mounts the pseudo
# filesystems and the guest's own tmpfs (/tmp, /root, …), then mounts each shared folder
# (the repository, the cargo target folder: testbed/src/shares.rs) read-write at the host's own
# path, creating the mount point inside those tmpfs when the folder lies under one of them
# (a clone under /root or /tmp). It runs the command the host wrote into the run folder, stores
# its exit code there and powers the guest off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
say() { echo "vatrace-testbed: $*" > /dev/console; }
# The kernel command line's words are split below: never expand them as file-name patterns.
set -f

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
for d in /tmp /run /root /var/tmp /var/lib/dbus; do mount -t tmpfs tmpfs "$d" 2>/dev/null; done
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t securityfs securityfs /sys/kernel/security
mount -t bpf bpf /sys/fs/bpf

REPO= RUN= MOUNTS=
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        vatrace.repo=*) REPO=${arg#vatrace.repo=} ;;
        vatrace.run=*) RUN=${arg#vatrace.run=} ;;
        vatrace.mount=*) MOUNTS="$MOUNTS ${arg#vatrace.mount=}" ;;
    esac
done

# Mounts every share (TAG:PATH); says which one failed and why.
mount_shares() {
    for m in $MOUNTS; do
        tag=${m%%:*} dir=${m#*:}
        # Under one of the tmpfs above the folder is hidden: its mount point is made in the tmpfs.
        if ! mkdir -p "$dir" 2>/tmp/mkdir.err; then
            say "could not create the mount point $dir for share $tag: $(cat /tmp/mkdir.err)"
            return 1
        fi
        if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,access=any "$tag" "$dir"; then
            say "could not mount share $tag at $dir"
            return 1
        fi
    done
}

if [ -z "$REPO" ] || [ -z "$RUN" ] || [ -z "$MOUNTS" ]; then
    say "kernel command line lacks vatrace.repo=, vatrace.run= or vatrace.mount="
elif mount_shares; then
    cd "$REPO"
    [ -f "$RUN/env" ] && . "$RUN/env"
    say "running $RUN/cmd"
    /bin/sh "$RUN/cmd" > "$RUN/stdout" 2> "$RUN/stderr" < /dev/null
    code=$?
    echo "$code" > "$RUN/exit_code.tmp" && mv "$RUN/exit_code.tmp" "$RUN/exit_code"
    sync
    say "command exited with $code"
fi
# Power off: -no-reboot turns the guest's reboot into QEMU's exit.
reboot -f -f 2>/dev/null
# Else reboot(2) itself (LINUX_REBOOT_CMD_RESTART), whose number depends on the architecture.
case $(uname -m) in aarch64) nr=142 ;; *) nr=169 ;; esac
perl -e "syscall($nr, 0xfee1dead, 672274793, 0x01234567)" 2>/dev/null
exit 0
