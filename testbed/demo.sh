#!/bin/sh
# The demo run inside the test-bed by `cargo xtask demo`: decodes an H.264 clip with GStreamer's
# request-API client (v4l2slh264dec) through visl, and prints what visl received per frame.
set -e
clip=${1:?usage: demo.sh CLIP.h264}
out=target/demo/out.yuv
echo "== V4L2 devices in the test-bed"
for n in /sys/class/video4linux/*/name; do echo "  $(basename "$(dirname "$n")"): $(cat "$n")"; done
T=/sys/kernel/tracing
echo 1 > $T/events/visl_h264_controls/v4l2_ctrl_h264_sps/enable
echo 1 > $T/events/visl_h264_controls/v4l2_ctrl_h264_decode_params/enable
echo "== decoding $clip with v4l2slh264dec through visl"
gst-launch-1.0 -q filesrc location="$clip" ! h264parse ! v4l2slh264dec ! video/x-raw,format=NV12 ! filesink location="$out"
echo 0 > $T/tracing_on
echo "== output: $(stat -c %s "$out") bytes of NV12 in $out"
echo "== visl saw $(grep -c v4l2_ctrl_h264_sps: $T/trace) SPS controls; the first decode_params:"
grep -m1 v4l2_ctrl_h264_decode_params: $T/trace | cut -c1-400
