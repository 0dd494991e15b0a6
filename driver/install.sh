#!/bin/sh
# Builds the driver and puts it where libva looks for it, under the name libva wants.
#
#   driver/install.sh            release build -> <target>/dri/v4l2_request_drv_video.so
#   driver/install.sh --debug    the same from a debug build
#   driver/install.sh --system   also copy it into libva's driver directory (pkg-config libva)
#
# Extra cargo arguments go after `--`, e.g. `driver/install.sh -- --features fault-injection`.
# <target> is $CARGO_TARGET_DIR, else the workspace's target/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
profile=release
system=no
while [ $# -gt 0 ]; do
    case "$1" in
        --debug) profile=debug ;;
        --system) system=yes ;;
        --) shift; break ;;
        *) echo "usage: $0 [--debug] [--system] [-- cargo args]" >&2; exit 2 ;;
    esac
    shift
done
target=${CARGO_TARGET_DIR:-$root/target}
if [ "$profile" = release ]; then
    (cd "$root" && cargo build --release -p v4l2-request-driver "$@")
else
    (cd "$root" && cargo build -p v4l2-request-driver "$@")
fi
mkdir -p "$target/dri"
cp "$target/$profile/libv4l2_request.so" "$target/dri/v4l2_request_drv_video.so.tmp"
mv "$target/dri/v4l2_request_drv_video.so.tmp" "$target/dri/v4l2_request_drv_video.so"
echo "installed $target/dri/v4l2_request_drv_video.so"
echo "use: LIBVA_DRIVERS_PATH=$target/dri LIBVA_DRIVER_NAME=v4l2_request vainfo"
if [ "$system" = yes ]; then
    dir=$(pkg-config --variable=driverdir libva 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/dri)
    install -m 0644 "$target/dri/v4l2_request_drv_video.so" "$dir/v4l2_request_drv_video.so"
    echo "installed $dir/v4l2_request_drv_video.so"
fi
