#!/bin/sh
# Runs in the test-bed: decodes three tiny clips through visl with every visl control event on
# and saves the raw ftrace text per codec.
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
