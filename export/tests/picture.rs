//! The SVG picture of the probe-ebusy sample: at the REQBUFS(CAPTURE, 0) that failed with EBUSY
//! (its red mark and label), the four CAPTURE buffer lanes are all in the "queued" colour, read
//! from the SVG's own `<rect>`, `<polyline>` and `<text>` elements. Also: the PNG is a PNG, and
//! the leak sample's picture has its four request lanes.

use std::path::Path;

use export::picture::{state_colour, ERROR_COLOUR};
use export::timeline::Pool;
use plotters::style::RGBColor;

fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// The value of attribute `name` in one element's text.
fn attr(el: &str, name: &str) -> Option<f64> {
    let start = el.find(&format!(" {name}=\""))? + name.len() + 3;
    el[start..].split('"').next()?.parse().ok()
}

fn sample(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../traces/samples/{name}.trace"))
}

#[test]
fn probe_ebusy_svg_shows_four_queued_capture_buffers_at_the_ebusy() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pools.svg");
    export::export_file(&sample("probe-ebusy"), export::Format::Svg, &out).unwrap();
    let svg = std::fs::read_to_string(&out).unwrap();
    // Elements, one per line as plotters writes them; a <text>'s content is on its next line.
    let lines: Vec<&str> = svg.lines().collect();
    let label = lines
        .iter()
        .position(|l| l.trim() == "REQBUFS EBUSY")
        .expect("no REQBUFS EBUSY label in the SVG");
    let label_x = attr(lines[label - 1], "x").unwrap();
    // The label sits 2 px right of its mark: a red vertical line.
    let red = hex(ERROR_COLOUR);
    let mark_x = lines
        .iter()
        .filter(|l| l.starts_with("<polyline") && l.contains(&format!("stroke=\"{red}\"")))
        .filter_map(|l| {
            let pts = l.split("points=\"").nth(1)?.split('"').next()?;
            let xs: Vec<f64> = pts
                .split_whitespace()
                .filter_map(|p| p.split(',').next()?.parse().ok())
                .collect();
            (xs.len() == 2 && xs[0] == xs[1]).then_some(xs[0])
        })
        .find(|x| (label_x - 2.0 - x).abs() < 0.5)
        .expect("no red mark under the REQBUFS EBUSY label");
    let queued = hex(state_colour(Pool::Capture, "queued"));
    let mut lanes: Vec<f64> = lines
        .iter()
        .filter(|l| l.starts_with("<rect") && l.contains(&format!("fill=\"{queued}\"")))
        .filter(|l| {
            let (x, w) = (attr(l, "x").unwrap(), attr(l, "width").unwrap());
            x <= mark_x && mark_x <= x + w
        })
        .map(|l| attr(l, "y").unwrap())
        .collect();
    lanes.dedup();
    assert_eq!(
        lanes.len(),
        4,
        "CAPTURE lanes queued at the EBUSY (x = {mark_x}): {lanes:?}"
    );
    for n in 0..4 {
        assert!(
            svg.contains(&format!("CAPTURE {n}\n")),
            "no lane CAPTURE {n}"
        );
    }
    // The request colour for "queued" differs, so these are buffers, not requests.
    assert_ne!(queued, hex(state_colour(Pool::Requests, "queued")));
}

#[test]
fn leak_sample_picture_has_its_request_lanes_and_png_is_png() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("pools.svg");
    let png = dir.path().join("pools.png");
    export::export_file(&sample("request-leak"), export::Format::Svg, &svg).unwrap();
    export::export_file(&sample("request-leak"), export::Format::Png, &png).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    for fd in 5..=8 {
        assert!(
            text.contains(&format!("request fd {fd} ")),
            "no lane for request fd {fd}"
        );
    }
    assert!(text.contains("frame latency"), "no latency histogram");
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
}
