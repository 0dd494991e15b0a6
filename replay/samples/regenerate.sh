#!/bin/sh
# Regenerates the sample traces of replay/samples/ in the test-bed. From the repository root:
#
#   replay/samples/regenerate.sh                 # self-recorded samples only
#   VATRACE_BIN=/path/to/vatrace replay/samples/regenerate.sh   # + the eBPF-recorded GStreamer decode
#   VATRACE_BIN=… VA_DRIVER_DIR=/dir/with/v4l2_request_drv_video.so replay/samples/regenerate.sh
#                                                 # + ffmpeg -hwaccel vaapi through the project's libva driver
#
# probe-ebusy.trace         the resolution-change probe done the wrong way (REQBUFS(0) -> EBUSY at ioctl 13)
# request-leak.trace        MPEG-2 requests whose error path leaks the 4 slots (client starves at frame 16)
# request-leak-fixed.trace  the same client with the proper error path: 30 frames, the clean decode
# gst-v4l2slh264dec.trace   GStreamer v4l2slh264dec, 30 frames 320x240 H.264 with B-frames (vatrace record)
# ffmpeg-vaapi.trace        ffmpeg -hwaccel vaapi through driver/ (v4l2_request_drv_video.so), same clip (vatrace record)
set -eu
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/replay}"
cargo build -q -p replay --bins
B="$CARGO_TARGET_DIR/debug"
S=replay/samples
cmds="$B/probe-ebusy --trace $S/probe-ebusy.trace >/dev/null; echo probe \$?
$B/request-leak --trace $S/request-leak.trace >/dev/null; echo leak \$?
$B/request-leak --fixed --trace $S/request-leak-fixed.trace >/dev/null; echo fixed \$?"
if [ -n "${VATRACE_BIN:-}" ]; then
    clip=target/replay-samples/h264-320x240-30f.h264
    mkdir -p target/replay-samples
    [ -f $clip ] || ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=320x240:rate=30 -frames:v 30 \
        -pix_fmt yuv420p -c:v libx264 -profile:v high -bf 2 -f h264 $clip
    cmds="$cmds
$VATRACE_BIN record -o $S/gst-v4l2slh264dec.trace -- gst-launch-1.0 -q filesrc location=$clip ! h264parse ! v4l2slh264dec ! video/x-raw,format=NV12 ! fakesink; echo gst \$?"
    if [ -n "${VA_DRIVER_DIR:-}" ]; then
        cmds="$cmds
LIBVA_DRIVERS_PATH=$VA_DRIVER_DIR LIBVA_DRIVER_NAME=v4l2_request $VATRACE_BIN record -o $S/ffmpeg-vaapi.trace -- ffmpeg -nostdin -loglevel error -hwaccel vaapi -hwaccel_output_format vaapi -vaapi_device /dev/dri/renderD128 -i $clip -vf hwdownload,format=nv12 -f null -; echo ffmpeg \$?"
    fi
fi
cargo xtask testbed run --timeout 600 -- sh -c "$cmds"
ls -l $S/*.trace
