#!/bin/sh
# The demo `cargo xtask demo` runs in the test-bed (xtask/src/demo.rs builds what it needs and
# sets the variables below): vatrace's main job as a user meets it.
#   1. mpv plays a clip through the shipped libva driver (--hwdec=vaapi-copy) on visl, under
#      `vatrace record`;  2. the recording's summary;  3. `vatrace replay` of it and its verdict;
#   4. the pool-bug reproducer request-leak recorded;  5. and replayed, showing the leak;
#   6. the TUI's screen on the mpv trace, as text;  7. `vatrace check` judges both traces;
#   8. `vatrace minimize` cuts request-leak's trace down to the calls that still leak a slot;
#   9. `vatrace export` turns it into a Perfetto timeline and a picture of the pools.
# Each step prints one line `[N/9] what it showed`, its details indented below. Exits 1 when a
# step could not show what it is for (the reason on stderr), else 0.
set -u
: "${VATRACE:?path of the vatrace binary}" "${REQUEST_LEAK:?path of request-leak}"
: "${DRI:?folder holding v4l2_request_drv_video.so}" "${CLIP:?H.264 clip}" "${OUT:?output folder}"
STEPS=9
failed=0

step() { n=$1; shift; echo "[$n/$STEPS] $*"; }
indent() { sed 's/^/      /'; }
fail() { echo "demo: $*" >&2; failed=1; }
# The first line of a replay report that gives its verdict, whatever its wording.
verdict() {
    grep -m1 -iE 'verdict|no divergence|first divergence|incomplete|refus' "$1" ||
        grep -m1 -E 'ioctls replayed' "$1" || tail -n1 "$1"
}
# Replay exit codes that mean the replay could not show its verdict (1 diverged, 2 refused or
# failed); other non-zero codes (an environment that differs, an incomplete trace) are shown.
replay_failed() { [ "$1" -eq 1 ] || [ "$1" -eq 2 ]; }

mkdir -p "$OUT"
rm -f "$OUT"/*.trace

# 1. mpv through the driver, recorded (mpv's output and vatrace's summary both go to mpv.log).
env LIBVA_DRIVERS_PATH="$DRI" LIBVA_DRIVER_NAME=v4l2_request \
    "$VATRACE" record -o "$OUT/mpv.trace" -- mpv --no-config --hwdec=vaapi-copy --vaapi-device=/dev/dri/renderD128 \
    --vo=null --ao=null --untimed --msg-level=all=v "$CLIP" > "$OUT/mpv.log" 2>&1
rc=$?
if grep -q 'Using hardware decoding (vaapi-copy)' "$OUT/mpv.log"; then hw="hardware decoding on"; else hw="NO hardware decoding"; fi
step 1 "mpv --hwdec=vaapi-copy played $(basename "$CLIP") through the v4l2_request VA driver on visl under vatrace record: exit $rc, $hw"
grep -m1 -E 'Using hardware decoding|VO: \[null\]' "$OUT/mpv.log" | indent
if [ "$rc" -ne 0 ] || [ "$hw" != "hardware decoding on" ] || [ ! -s "$OUT/mpv.trace" ]; then
    fail "mpv did not decode through the driver under vatrace record; its log ($OUT/mpv.log) ends:"
    tail -n 15 "$OUT/mpv.log" >&2
    exit 1
fi

# 2. The recording's summary: vatrace's own line, the trace's end, the most frequent ioctls.
summary=$(grep -m1 -E '^vatrace: [0-9]+ events' "$OUT/mpv.log")
"$VATRACE" dump "$OUT/mpv.trace" > "$OUT/mpv.dump" 2>&1 || fail "vatrace dump failed: $(tail -n1 "$OUT/mpv.dump")"
step 2 "the recording: ${summary#vatrace: }"
sed -n 's/^.*+++ trace ends: \(.*\) +++$/trace ends: \1/p' "$OUT/mpv.dump" | indent
sed -n 's/^[0-9.]* \[pid [0-9/]*\] ioctl([^,]*, \([A-Z0-9_]*\),.*/\1/p' "$OUT/mpv.dump" | sort | uniq -c | sort -rn |
    head -n 8 | awk '{ s = s (s ? ", " : "") $2 " x" $1 } END { print "most frequent ioctls: " s }' | indent

# 3. Replay of the mpv trace.
"$VATRACE" replay "$OUT/mpv.trace" > "$OUT/replay-mpv.txt" 2>&1
rc=$?
step 3 "vatrace replay mpv.trace (exit $rc): $(verdict "$OUT/replay-mpv.txt" | sed 's/^ *//')"
indent < "$OUT/replay-mpv.txt"
replay_failed "$rc" && fail "the replay of mpv's trace did not run clean (exit $rc): see above"

# 4. The pool-bug reproducer, recorded: its error path leaks a request slot every 4th frame.
"$VATRACE" record -o "$OUT/request-leak.trace" -- "$REQUEST_LEAK" > "$OUT/request-leak.log" 2> "$OUT/record-leak.log"
rc=$?
starved=$(grep -m1 'STARVED' "$OUT/request-leak.log" "$OUT/record-leak.log" | sed 's/^[^:]*://')
step 4 "request-leak under vatrace record: exit $rc, ${starved:-did not starve}"
grep -m1 -E '^decoding ' "$OUT/request-leak.log" | indent
grep -m1 -E '^vatrace: [0-9]+ events' "$OUT/record-leak.log" | indent
if [ "$rc" -ne 3 ] || [ -z "$starved" ]; then
    fail "request-leak was expected to starve its pool (exit 3); its output ends:"
    tail -n 15 "$OUT/request-leak.log" "$OUT/record-leak.log" >&2
fi

# 5. Its replay reproduces the failures and names the leaked requests.
if [ -s "$OUT/request-leak.trace" ]; then
    "$VATRACE" replay "$OUT/request-leak.trace" > "$OUT/replay-leak.txt" 2>&1
    rc=$?
    leak=$(grep -m1 -E 'never reinitialised|leaked' "$OUT/replay-leak.txt" | sed 's/^ *//')
    step 5 "vatrace replay request-leak.trace (exit $rc): $(verdict "$OUT/replay-leak.txt" | sed 's/^ *//'); ${leak:-NO LEAK SHOWN}"
    indent < "$OUT/replay-leak.txt"
    replay_failed "$rc" && fail "the replay of request-leak's trace did not run clean (exit $rc): see above"
    [ -n "$leak" ] || fail "the replay of request-leak's trace did not show the leak"
    "$VATRACE" tui "$OUT/request-leak.trace" --snapshot --size 80x24 2>&1 | grep -m1 'LEAK r' | sed 's/^│ *//; s/ *│$//' |
        sed 's/^/the TUI at its end, OUTPUT slots: /' | indent
else
    step 5 "vatrace replay request-leak.trace: no trace to replay"
fi

# 6. The TUI's screen at the end of the mpv trace.
if "$VATRACE" tui "$OUT/mpv.trace" --snapshot --size 100x30 > "$OUT/tui.txt" 2>&1; then
    step 6 "vatrace tui mpv.trace --snapshot: the request and buffer pools at the trace's end"
    indent < "$OUT/tui.txt"
else
    step 6 "vatrace tui mpv.trace --snapshot failed"
    indent < "$OUT/tui.txt"
    fail "vatrace tui --snapshot failed"
fi

# 7. The request-API rules: mpv's decode is clean, request-leak's slots are named, frame by frame.
"$VATRACE" check "$OUT/mpv.trace" > "$OUT/check-mpv.txt" 2>&1
rc_mpv=$?
"$VATRACE" check "$OUT/request-leak.trace" > "$OUT/check-leak.txt" 2>&1
rc_leak=$?
leaks=$(grep -c '^error\[request-leak\]' "$OUT/check-leak.txt")
step 7 "vatrace check: mpv.trace exit $rc_mpv ($(tail -n1 "$OUT/check-mpv.txt" | sed 's/^.*): //')), request-leak.trace exit $rc_leak ($leaks leaked requests found)"
grep -E '^error' "$OUT/check-leak.txt" | indent
[ "$rc_mpv" -eq 0 ] || fail "vatrace check found errors in mpv's decode: see $OUT/check-mpv.txt"
[ "$rc_leak" -eq 1 ] && [ "$leaks" -gt 0 ] || fail "vatrace check did not find request-leak's leak: see $OUT/check-leak.txt"

# 8. The smallest trace that still leaks a slot, every candidate replayed on visl.
if "$VATRACE" minimize "$OUT/request-leak.trace" -o "$OUT/leak-min.trace" --until leak --quiet \
    --report "$OUT/minimize.json" > "$OUT/minimize.txt" 2>&1; then
    step 8 "vatrace minimize request-leak.trace --until leak: $(tail -n1 "$OUT/minimize.txt")"
    "$VATRACE" dump "$OUT/leak-min.trace" 2>&1 | grep -vE '^#' | indent
else
    step 8 "vatrace minimize request-leak.trace --until leak failed"
    indent < "$OUT/minimize.txt"
    fail "vatrace minimize found no smaller trace that leaks: see $OUT/minimize.txt"
fi

# 9. A timeline for ui.perfetto.dev and a picture for a bug report.
if "$VATRACE" export --perfetto "$OUT/request-leak.trace" -o "$OUT/request-leak.perfetto-trace" > "$OUT/export.txt" 2>&1 &&
    "$VATRACE" export --svg "$OUT/request-leak.trace" -o "$OUT/request-leak.svg" >> "$OUT/export.txt" 2>&1; then
    step 9 "vatrace export: request-leak.perfetto-trace ($(wc -c < "$OUT/request-leak.perfetto-trace") bytes, open it in ui.perfetto.dev) and request-leak.svg ($(grep -c '<rect' "$OUT/request-leak.svg") boxes)"
else
    step 9 "vatrace export failed"
    indent < "$OUT/export.txt"
    fail "vatrace export failed: see $OUT/export.txt"
fi

echo "traces, logs and reports in $OUT"
exit "$failed"
