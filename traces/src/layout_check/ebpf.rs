//! The eBPF programs and `traces` agree: every ioctl number, buffer/memory value, element size and
//! field offset `tracer-ebpf` uses (its `abi.rs`, compiled here on the host) equals `traces`'
//! catalogue and what gcc printed for the uapi headers (`layout_expected.txt`);
//! and `tracer-ebpf/src/ioctl.rs` reads user memory only at those named offsets, never at a
//! literal one. If the kernel side drifted from the catalogue, captures would go silently missing.

use super::ebpf_abi as abi;
use super::{c_path, expected as gcc};
use crate::ioctl::{self, layout, names};

#[test]
fn ioctl_numbers_match_the_catalogue_and_gcc() {
    let gcc = gcc();
    assert!(!abi::IOCTLS.is_empty());
    for &(name, value) in abi::IOCTLS {
        let info = ioctl::by_name(name).unwrap_or_else(|| panic!("{name} is not in the catalogue"));
        assert_eq!(info.request, value, "{name}: eBPF vs traces");
        assert_eq!(
            gcc.get(&format!("ioctl {name}")),
            Some(&u64::from(value)),
            "{name}: eBPF vs gcc"
        );
    }
}

#[test]
fn buffer_types_and_memory_kinds_match_the_catalogue() {
    for &(name, value) in abi::VALUES {
        let (table, short) = if let Some(s) = name.strip_prefix("BUF_TYPE_") {
            (names::BUF_TYPES, s)
        } else if let Some(s) = name.strip_prefix("MEMORY_") {
            (names::MEMORY, s)
        } else {
            panic!("{name}: neither a buffer type nor a memory kind");
        };
        assert_eq!(names::lookup(table, value), Some(short), "{name} = {value}");
    }
}

#[test]
fn element_sizes_match_the_catalogue_and_gcc() {
    let gcc = gcc();
    let structs = [
        ("EXT_CONTROL_SIZE", "v4l2_ext_control"),
        ("PLANE_SIZE", "v4l2_plane"),
        ("TOPOLOGY_ENTITY_SIZE", "media_v2_entity"),
        ("TOPOLOGY_INTERFACE_SIZE", "media_v2_interface"),
        ("TOPOLOGY_PAD_SIZE", "media_v2_pad"),
        ("TOPOLOGY_LINK_SIZE", "media_v2_link"),
    ];
    assert_eq!(
        abi::SIZES.len(),
        structs.len(),
        "a size the test does not map"
    );
    for &(name, value) in abi::SIZES {
        let s = structs
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{name}: which struct?"))
            .1;
        let traces = layout::ALL
            .iter()
            .find(|(st, f, _)| *st == s && f.is_empty())
            .map(|e| e.2 as u64);
        assert_eq!(traces, Some(value as u64), "{name}: eBPF vs traces");
        assert_eq!(
            gcc.get(&format!("sizeof {s}")),
            Some(&u64::from(value)),
            "{name}: eBPF vs gcc"
        );
    }
    // The topology table walks the four arrays in media_v2_topology's order.
    let elems: Vec<u32> = abi::TOPOLOGY.iter().map(|t| t.2).collect();
    assert_eq!(
        elems,
        [
            abi::TOPOLOGY_ENTITY_SIZE,
            abi::TOPOLOGY_INTERFACE_SIZE,
            abi::TOPOLOGY_PAD_SIZE,
            abi::TOPOLOGY_LINK_SIZE
        ]
    );
}

#[test]
fn field_offsets_match_the_catalogue_and_gcc() {
    let gcc = gcc();
    assert!(abi::OFFSETS.len() >= 25);
    // Each constant names the field it is the offset of (two say what they read there).
    let renamed = [
        ("EXT_CONTROL_SIZE_FIELD", "size"),
        ("EXT_CONTROL_PTR", "value"),
    ];
    for &(name, s, path, value) in abi::OFFSETS {
        let c = c_path(path);
        match renamed.iter().find(|(n, _)| *n == name) {
            Some((_, f)) => assert_eq!(c, *f, "{name} is the offset of {s}.{c}"),
            None => assert!(
                name.ends_with(&format!("_{}", c.to_uppercase().replace('.', "_"))),
                "{name} is the offset of {s}.{c}"
            ),
        }
        assert_eq!(
            gcc.get(&format!("offsetof {s}.{c}")),
            Some(&value),
            "{name} ({s}.{c}): eBPF vs gcc"
        );
        let traces = layout::ALL
            .iter()
            .find(|(st, f, _)| *st == s && !f.is_empty() && c_path(f) == c)
            .map(|e| e.2 as u64);
        assert_eq!(traces, Some(value), "{name} ({s}.{c}): eBPF vs traces");
    }
    // The control payloads the eBPF side copies are the ones traces' payload specs describe.
    assert_eq!(
        abi::EXT_CONTROL_SIZE_FIELD,
        ioctl::CONTROL_PAYLOAD_SIZE_OFFSET as u64
    );
    assert_eq!(
        abi::EXT_CONTROL_PTR,
        ioctl::CONTROL_PAYLOAD_PTR_OFFSET as u64
    );
}

/// The second argument of every `user(…)` / `user::<T>(…)` call in `src`.
fn user_offsets(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find("user") {
        let before = rest[..i].chars().last();
        rest = &rest[i + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // read_user, bpf_probe_read_user, …
        }
        let call = rest.strip_prefix("::<").map_or(rest, |r| {
            let end = r.find(">").expect("closing turbofish");
            &r[end + 1..]
        });
        let Some(args) = call.strip_prefix('(') else {
            continue; // `fn user<T …` and the like
        };
        let mut depth = 0;
        let end = args
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 0 => return true,
                    ')' => depth -= 1,
                    _ => {}
                }
                false
            })
            .expect("closing parenthesis")
            .0;
        if let Some((_, second)) = args[..end].rsplit_once(',') {
            out.push(second.trim().to_string());
        }
    }
    out
}

#[test]
fn ioctl_rs_reads_user_memory_only_at_named_offsets() {
    let src = include_str!("../../../tracer-ebpf/src/ioctl.rs");
    let offsets = user_offsets(src);
    assert!(offsets.len() >= 20, "found only {offsets:?}");
    for off in &offsets {
        let name = off.trim_start_matches('*');
        assert!(
            name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'),
            "tracer-ebpf/src/ioctl.rs reads user memory at a literal offset `{off}`: take it from abi.rs"
        );
    }
    // And the parser does catch a literal.
    assert_eq!(user_offsets("let x: u32 = user(arg, 64);"), ["64"]);
    assert_eq!(
        user_offsets("user::<i32>(arg, REQUEST_ALLOC_FD)"),
        ["REQUEST_ALLOC_FD"]
    );
}
