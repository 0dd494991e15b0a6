#!/bin/sh
# Replay speed: each recorded decode sample replayed with --pace fast (release build) in the
# test-bed, against its recorded wall time. From the repository root: replay/samples/bench.sh
# Prints per sample: recorded span, replay time (engine), whole process time (pre-pass included).
set -eu
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/replay}"
cargo build -q --release -p replay --bin vatrace-replay
R="$CARGO_TARGET_DIR/release/vatrace-replay"
cargo xtask testbed run --timeout 600 -- sh -c "
for t in gst-v4l2slh264dec ffmpeg-vaapi request-leak-fixed; do
  for i in 1 2 3; do
    s=\$(date +%s%N)
    $R --quiet --json replay/samples/\$t.trace > /tmp/r.json
    e=\$(date +%s%N)
    rec=\$(grep '\"recorded_ns\"' /tmp/r.json | tr -dc 0-9)
    rep=\$(grep '\"replay_ns\"' /tmp/r.json | tr -dc 0-9)
    awk -v t=\$t -v a=\$rec -v b=\$rep -v w=\$((e - s)) 'BEGIN { printf \"%-20s recorded %6.3f s  replay %6.3f s (%4.1fx)  process %6.3f s (%4.1fx)\\n\", t, a/1e9, b/1e9, a/b, w/1e9, a/w }'
  done
done"
