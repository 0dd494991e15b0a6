#!/bin/sh
# Regenerates the visl ftrace fixtures in this directory (tests: ../visl_ftrace/real_tests.rs).
# Run in the test-bed from the repository root:
#
#   mkdir -p target/visl-capture && cd target/visl-capture
#   src="-f lavfi -i testsrc=size=128x96:rate=30 -frames:v 4"
#   ffmpeg -y $src -c:v libx264 -profile:v high -bf 2 -x264-params slices=2 -pix_fmt yuv420p h264.h264
#   ffmpeg -y $src -c:v mpeg2video -bf 2 -f mpeg2video mpeg2.m2v
#   ffmpeg -y $src -c:v libvpx -f ivf vp8.ivf
#   ffmpeg -y $src -c:v libx265 -x265-params bframes=2 -pix_fmt yuv420p hevc.h265
#   ffmpeg -y $src -c:v libvpx-vp9 -f ivf vp9.ivf
#   cd ../.. && cargo xtask testbed run -- /bin/sh traces/src/controls/testdata/capture.sh
#
# It writes target/visl-capture/visl_<codec>_controls.txt. The fixtures keep the first and last
# request of H.264 and the first two of HEVC and VP9 (awk on the `v4l2_ctrl_h264_sps:` /
# `v4l2_ctrl_hevc_sps:` / `v4l2_ctrl_vp9_frame:` headers), MPEG-2 and VP8 whole.
# (GStreamer 1.22 has no v4l2slav1dec, so there is no AV1 fixture.)
T=/sys/kernel/tracing
D=target/visl-capture
echo 8192 > $T/buffer_size_kb
cap() {
    sys=$1; shift
    echo 0 > $T/tracing_on
    echo > $T/trace
    echo 0 > $T/events/enable
    echo 1 > $T/events/$sys/enable
    echo 1 > $T/tracing_on
    gst-launch-1.0 -q "$@" ! video/x-raw,format=NV12 ! fakesink
    echo "$sys gst exit $?"
    echo 0 > $T/tracing_on
    cat $T/trace > $D/$sys.txt
    echo "$sys $(wc -l < $D/$sys.txt) lines"
}
cap visl_h264_controls filesrc location=$D/h264.h264 ! h264parse ! v4l2slh264dec
cap visl_mpeg2_controls filesrc location=$D/mpeg2.m2v ! mpegvideoparse ! v4l2slmpeg2dec
cap visl_vp8_controls filesrc location=$D/vp8.ivf ! ivfparse ! v4l2slvp8dec
cap visl_hevc_controls filesrc location=$D/hevc.h265 ! h265parse ! v4l2slh265dec
cap visl_vp9_controls filesrc location=$D/vp9.ivf ! ivfparse ! vp9parse ! v4l2slvp9dec
