//! Host tests of the checks: every committed sample trace judged, and hand-made traces for the
//! rules the samples do not exercise.

use super::*;
use crate::stream::read_all;

fn run(bytes: &[u8], profile: Option<Profile>) -> Vec<Finding> {
    let (h, recs, err) = read_all(bytes).expect("sample reads");
    assert!(err.is_none(), "{err:?}");
    check_all(&h, profile, &recs)
}

#[test]
fn print_samples() {
    for (name, bytes) in [
        ("probe-ebusy", &include_bytes!("../../samples/probe-ebusy.trace")[..]),
        ("request-leak", &include_bytes!("../../samples/request-leak.trace")[..]),
        ("request-leak-fixed", &include_bytes!("../../samples/request-leak-fixed.trace")[..]),
        ("gst", &include_bytes!("../../samples/gst-v4l2slh264dec.trace")[..]),
        ("ffmpeg", &include_bytes!("../../samples/ffmpeg-vaapi.trace")[..]),
    ] {
        println!("== {name}");
        for f in run(bytes, None) {
            println!("{f}");
        }
    }
}
