//! `tui::snapshot`: one frame of a recorded trace as plain text (what `vatrace tui --snapshot`
//! prints), from the committed request-leak sample: at the end the leaked slots show, earlier
//! they do not; the text has the asked size and no terminal escapes. The findings panel lists
//! what `traces::check` found up to the frame drawn: the leaks and the starvation on
//! request-leak, nothing on request-leak-fixed.

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

const FIXED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../traces/samples/request-leak-fixed.trace"
);

/// The findings panel's lines (between its title and the events box), borders trimmed.
fn findings_panel(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| !l.contains(" findings"))
        .skip(1)
        .take_while(|l| !l.starts_with('└'))
        .map(|l| l.trim_start_matches('│').trim_end_matches('│').trim_end())
        .collect()
}

#[test]
fn the_findings_panel_lists_the_leaks_and_the_starvation() {
    let text = snapshot_file(LEAK, Frame::default(), Options::default()).unwrap();
    println!("{text}");
    assert!(
        text.contains("findings: 5 errors, 0 warnings, 0 notes"),
        "{text}"
    );
    let panel = findings_panel(&text);
    let leaks: Vec<&str> = panel
        .iter()
        .filter(|l| l.contains("request-leak:"))
        .copied()
        .collect();
    assert_eq!(leaks.len(), 4, "{panel:#?}");
    for (fd, frame) in [(5, 3), (6, 7), (7, 11), (8, 15)] {
        assert!(
            leaks.iter().any(|l| l.contains(&format!("f{frame} "))
                && l.contains(&format!("request fd {fd} "))
                && l.starts_with("error ")),
            "the leak of request fd {fd} at frame {frame}: {panel:#?}"
        );
    }
    assert!(
        panel.iter().any(|l| l.starts_with("error ")
            && l.contains("f16")
            && l.contains("request-starved:")),
        "starvation from frame 16: {panel:#?}"
    );
}

#[test]
fn findings_appear_as_playback_reaches_them() {
    // Record 231 is where the first request is closed unreinitialised (the first findings).
    let before = Frame {
        at: Some(231),
        ..Frame::default()
    };
    let text = snapshot_file(LEAK, before, Options::default()).unwrap();
    assert!(text.contains("findings: none"), "{text}");
    let after = Frame {
        at: Some(232),
        ..Frame::default()
    };
    let text = snapshot_file(LEAK, after, Options::default()).unwrap();
    let panel = findings_panel(&text);
    assert!(
        panel.iter().any(|l| l.contains("request-starved:"))
            && panel.iter().any(|l| l.contains("request fd 5 ")),
        "{text}"
    );
    assert!(!panel.iter().any(|l| l.contains("request fd 6 ")), "{text}");
}

#[test]
fn the_fixed_client_has_no_finding() {
    let text = snapshot_file(FIXED, Frame::default(), Options::default()).unwrap();
    assert!(text.contains("findings: none"), "{text}");
    assert_eq!(findings_panel(&text), ["no finding"], "{text}");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let err =
        snapshot_file("/nonexistent/x.trace", Frame::default(), Options::default()).unwrap_err();
    assert!(err.to_string().contains("x.trace"), "{err}");
}
