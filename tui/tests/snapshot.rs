//! `tui::snapshot`: one frame of a recorded trace as plain text (what `vatrace tui --snapshot`
//! prints), from the committed request-leak sample: at the end the leaked slots show, earlier
//! they do not; the text has the asked size and no terminal escapes.

use tui::snapshot::{snapshot_file, Frame};
use tui::Options;

const LEAK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../traces/samples/request-leak.trace"
);

#[test]
fn the_end_of_the_leak_trace_shows_the_leaked_slots() {
    let text = snapshot_file(
        LEAK,
        Frame {
            at: None,
            width: 80,
            height: 24,
        },
        Options::default(),
    )
    .unwrap();
    println!("{text}");
    assert_eq!(text.lines().count(), 24, "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(!text.contains('\u{1b}'), "terminal escapes in {text:?}");
    assert!(
        text.contains("0 LEAK r5") && text.contains("2 LEAK r7"),
        "{text}"
    );
    assert!(text.contains("3 LEAKED"), "{text}");
    assert!(
        text.contains("visl") && text.contains("MG2S 320x240"),
        "the decoder in the header: {text}"
    );
}

#[test]
fn an_early_frame_shows_no_leak_yet() {
    let at_start = Frame {
        at: Some(30),
        width: 100,
        height: 32,
    };
    let text = snapshot_file(LEAK, at_start, Options::default()).unwrap();
    assert_eq!(text.lines().count(), 32, "{text}");
    assert!(!text.contains("LEAK"), "{text}");
    assert!(text.contains("30/"), "the player's position: {text}");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let err =
        snapshot_file("/nonexistent/x.trace", Frame::default(), Options::default()).unwrap_err();
    assert!(err.to_string().contains("x.trace"), "{err}");
}
