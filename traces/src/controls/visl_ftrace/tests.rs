//! Tests of the visl ftrace parser on event text built by following visl's `TP_printk`
//! formats (visl-trace-h264.h, -mpeg2.h, -vp8.h, -fwht.h) character by character, and
//! comparisons of the parsed fields with the decoded controls' `visl_fields`.

use super::*;
use crate::controls::{decode, h264_fields, ids::*, visl_fields, ControlValue};

const HDR: &str = "     gst-launch-1.0-412     [000] .....   37.512003: ";

/// The rows `__print_hex_dump("", DUMP_PREFIX_NONE, 32, 1, …)` emits, with its leading
/// newline: "\n" then 32-byte rows of "xx xx …", each ending in "\n".
fn hex_dump(bytes: &[u8]) -> String {
    let mut s = String::from("\n");
    for row in bytes.chunks(32) {
        let r: Vec<String> = row.iter().map(|b| format!("{b:02x}")).collect();
        s.push_str(&r.join(" "));
        s.push('\n');
    }
    s
}

fn kv(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[test]
fn sps_event_parses_and_matches_decoded_sps() {
    // TP_printk("\nprofile_idc %u\nconstraint_set_flags %s\n…\nflags %s", …)
    let mut ofs = vec!["0xfffffffe".to_string(), "0x3".to_string()];
    ofs.extend(std::iter::repeat_n("0x0".to_string(), 253));
    let text = format!(
        "{HDR}v4l2_ctrl_h264_sps: \nprofile_idc 77\nconstraint_set_flags CONSTRAINT_SET1_FLAG\n\
         level_idc 30\nseq_parameter_set_id 0\nchroma_format_idc 1\nbit_depth_luma_minus8 0\n\
         bit_depth_chroma_minus8 0\nlog2_max_frame_num_minus4 0\npic_order_cnt_type 0\n\
         log2_max_pic_order_cnt_lsb_minus4 2\nmax_num_ref_frames 4\n\
         num_ref_frames_in_pic_order_cnt_cycle 2\noffset_for_ref_frame {{{}}}\n\
         offset_for_non_ref_pic -5\noffset_for_top_to_bottom_field 0\npic_width_in_mbs_minus1 19\n\
         pic_height_in_map_units_minus1 14\nflags FRAME_MBS_ONLY|DIRECT_8X8_INFERENCE",
        ofs.join(",")
    );
    let ev = parse_line(&text).unwrap();
    assert_eq!(ev.event, "v4l2_ctrl_h264_sps");
    assert_eq!(ev.fields.len(), 18);
    assert_eq!(ev.get("level_idc"), Some("30"));
    assert_eq!(ev.get("offset_for_non_ref_pic"), Some("-5"));
    assert_eq!(ev.get("flags"), Some("FRAME_MBS_ONLY|DIRECT_8X8_INFERENCE"));

    // The same SPS as a control payload.
    let mut p = vec![0u8; 1048];
    p[0] = 77;
    p[1] = 0x02;
    p[2] = 30;
    p[4] = 1;
    p[9] = 2;
    p[10] = 4;
    p[11] = 2;
    p[12..16].copy_from_slice(&(-2i32).to_le_bytes());
    p[16..20].copy_from_slice(&3i32.to_le_bytes());
    p[1032..1036].copy_from_slice(&(-5i32).to_le_bytes());
    p[1040..1042].copy_from_slice(&19u16.to_le_bytes());
    p[1042..1044].copy_from_slice(&14u16.to_le_bytes());
    p[1044..1048].copy_from_slice(&0x50u32.to_le_bytes());
    let v = decode(V4L2_CID_STATELESS_H264_SPS, &p).unwrap();
    assert_eq!(h264_fields(&v), ev.fields);
}

#[test]
fn pps_event_with_empty_flags() {
    let text = format!(
        "{HDR}v4l2_ctrl_h264_pps: \npic_parameter_set_id 0\nseq_parameter_set_id 0\n\
         num_slice_groups_minus1 0\nnum_ref_idx_l0_default_active_minus1 2\n\
         num_ref_idx_l1_default_active_minus1 0\nweighted_bipred_idc 0\npic_init_qp_minus26 -3\n\
         pic_init_qs_minus26 0\nchroma_qp_index_offset -2\nsecond_chroma_qp_index_offset -2\nflags "
    );
    let ev = parse_line(&text).unwrap();
    assert_eq!(ev.get("flags"), Some(""));
    let mut p = [0u8; 12];
    p[3] = 2;
    p[6] = (-3i8) as u8;
    p[8] = (-2i8) as u8;
    p[9] = (-2i8) as u8;
    let v = decode(V4L2_CID_STATELESS_H264_PPS, &p).unwrap();
    assert_eq!(visl_fields(&v), ev.fields);
}

#[test]
fn scaling_matrix_hex_dump_spans_lines() {
    // TP_printk("\nscaling_list_4x4 {%s}\nscaling_list_8x8 {%s}", __print_hex_dump(…), …)
    let mut payload = vec![16u8; 96 + 384];
    payload[0] = 6;
    payload[95] = 42;
    payload[96 + 383] = 0xff;
    let text = format!(
        "{HDR}v4l2_ctrl_h264_scaling_matrix: \nscaling_list_4x4 {{{}}}\nscaling_list_8x8 {{{}}}",
        hex_dump(&payload[..96]),
        hex_dump(&payload[96..])
    );
    assert_eq!(text.lines().count(), 1 + 1 + 3 + 1 + 1 + 12 + 1);
    let ev = parse_line(&text).unwrap();
    assert_eq!(ev.fields.len(), 2);
    assert_eq!(ev.fields[0].1.len(), 96 * 3 - 1);
    assert!(ev.fields[0].1.starts_with("06 10 10"));
    assert!(ev.fields[0].1.ends_with("10 2a"));
    assert!(ev.fields[1].1.ends_with("10 ff"));
    let v = decode(V4L2_CID_STATELESS_H264_SCALING_MATRIX, &payload).unwrap();
    assert_eq!(visl_fields(&v), ev.fields);
}

#[test]
fn per_element_events() {
    // TP_printk("[%d]: fields %s index %u", …)
    let ev = parse_line(&format!(
        "{HDR}v4l2_h264_ref_pic_list0: [3]: fields TOP_FIELD_REF|BOTTOM_FIELD_REF index 2"
    ))
    .unwrap();
    assert_eq!(
        ev.fields,
        vec![
            kv("ref_pic_list0[3].fields", "TOP_FIELD_REF|BOTTOM_FIELD_REF"),
            kv("ref_pic_list0[3].index", "2")
        ]
    );
    let ev = parse_line(&format!(
        "{HDR}v4l2_h264_ref_pic_list1: [31]: fields  index 0"
    ))
    .unwrap();
    assert_eq!(
        ev.fields,
        vec![
            kv("ref_pic_list1[31].fields", ""),
            kv("ref_pic_list1[31].index", "0")
        ]
    );
    // TP_printk("[%d]: reference_ts %llu, pic_num %u frame_num %u fields %s "
    //           "top_field_order_cnt %d bottom_field_order_cnt %d flags %s", …)
    let ev = parse_line(&format!(
        "{HDR}v4l2_h264_dpb_entry: [1]: reference_ts 66000, pic_num 2 frame_num 2 fields TOP_FIELD_REF|BOTTOM_FIELD_REF \
         top_field_order_cnt 4 bottom_field_order_cnt 4 flags VALID|ACTIVE"
    ))
    .unwrap();
    assert_eq!(ev.get("dpb[1].reference_ts"), Some("66000"));
    assert_eq!(
        ev.get("dpb[1].fields"),
        Some("TOP_FIELD_REF|BOTTOM_FIELD_REF")
    );
    assert_eq!(ev.get("dpb[1].flags"), Some("VALID|ACTIVE"));
    assert_eq!(ev.fields.len(), 7);
    let ev = parse_line(&format!(
        "{HDR}v4l2_h264_dpb_entry: [15]: reference_ts 0, pic_num 0 frame_num 0 fields  \
         top_field_order_cnt 0 bottom_field_order_cnt 0 flags "
    ))
    .unwrap();
    assert_eq!(ev.get("dpb[15].fields"), Some(""));
    assert_eq!(ev.get("dpb[15].top_field_order_cnt"), Some("0"));
    assert_eq!(ev.get("dpb[15].flags"), Some(""));
}

/// Renders what visl prints for one H.264 request: decode params + 16 dpb entries, slice
/// params + 2×32 reference events, following the TP_printk formats.
fn h264_request_text(frame_num: u16, poc: i32, ts1: u64) -> String {
    let mut t = String::from("# tracer: nop\n#\n");
    t += &format!(
        "{HDR}v4l2_ctrl_h264_slice_params: \nheader_bit_size 35\nfirst_mb_in_slice 0\nslice_type P\n\
         colour_plane_id 0\nredundant_pic_cnt 0\ncabac_init_idc 0\nslice_qp_delta -2\nslice_qs_delta 0\n\
         disable_deblocking_filter_idc 0\nslice_alpha_c0_offset_div2 4294967295\nslice_beta_offset_div2 0\n\
         num_ref_idx_l0_active_minus1 0\nnum_ref_idx_l1_active_minus1 0\nflags \n"
    );
    for i in 0..32 {
        let (f, idx) = if i == 0 {
            ("TOP_FIELD_REF|BOTTOM_FIELD_REF", 1)
        } else {
            ("", 0)
        };
        t += &format!("{HDR}v4l2_h264_ref_pic_list0: [{i}]: fields {f} index {idx}\n");
    }
    for i in 0..32 {
        t += &format!("{HDR}v4l2_h264_ref_pic_list1: [{i}]: fields  index 0\n");
    }
    t += &format!(
        "{HDR}v4l2_ctrl_h264_decode_params: \nnal_ref_idc 1\nframe_num {frame_num}\ntop_field_order_cnt {poc}\n\
         bottom_field_order_cnt {poc}\nidr_pic_id 0\npic_order_cnt_lsb {poc}\ndelta_pic_order_cnt_bottom 0\n\
         delta_pic_order_cnt0 0\ndelta_pic_order_cnt1 0\ndec_ref_pic_marking_bit_size 2\n\
         pic_order_cnt_bit_size 6\nslice_group_change_cycle 0\nflags PFRAME\n\n"
    );
    for i in 0..16 {
        if i == 1 {
            t += &format!(
                "{HDR}v4l2_h264_dpb_entry: [{i}]: reference_ts {ts1}, pic_num 0 frame_num 0 fields TOP_FIELD_REF|BOTTOM_FIELD_REF \
                 top_field_order_cnt 0 bottom_field_order_cnt 0 flags VALID|ACTIVE\n"
            );
        } else {
            t += &format!(
                "{HDR}v4l2_h264_dpb_entry: [{i}]: reference_ts 0, pic_num 0 frame_num 0 fields  \
                 top_field_order_cnt 0 bottom_field_order_cnt 0 flags \n"
            );
        }
    }
    t
}

fn slice_payload() -> Vec<u8> {
    let mut s = vec![0u8; 152];
    s[0] = 35; // header_bit_size
    s[8] = 0; // P
    s[12] = (-2i8) as u8; // slice_qp_delta
    s[15] = (-1i8) as u8; // slice_alpha_c0_offset_div2
    s[20] = 3; // ref_pic_list0[0].fields
    s[21] = 1; // ref_pic_list0[0].index
    s
}

fn decode_payload(frame_num: u16, poc: i32, ts1: u64) -> Vec<u8> {
    let mut d = vec![0u8; 560];
    d[32..40].copy_from_slice(&ts1.to_le_bytes()); // dpb[1].reference_ts
    d[46] = 3; // dpb[1].fields
    d[60] = 3; // dpb[1].flags
    d[512] = 1; // nal_ref_idc
    d[514..516].copy_from_slice(&frame_num.to_le_bytes());
    d[516..520].copy_from_slice(&poc.to_le_bytes());
    d[520..524].copy_from_slice(&poc.to_le_bytes());
    d[526..528].copy_from_slice(&(poc as u16).to_le_bytes());
    d[540] = 2; // dec_ref_pic_marking_bit_size
    d[544] = 6; // pic_order_cnt_bit_size
    d[556] = 0x08; // PFRAME
    d
}

#[test]
fn whole_request_text_matches_decoded_controls() {
    let text = h264_request_text(3, 6, 33_000);
    let events = parse_text(&text);
    assert_eq!(events.len(), 1 + 64 + 1 + 16);
    assert_eq!(events[0].event, "v4l2_ctrl_h264_slice_params");
    assert_eq!(events[0].fields.len(), 14);
    assert_eq!(events[65].get("flags"), Some("PFRAME"));
    let values = [
        decode(V4L2_CID_STATELESS_H264_SLICE_PARAMS, &slice_payload()).unwrap(),
        decode(
            V4L2_CID_STATELESS_H264_DECODE_PARAMS,
            &decode_payload(3, 6, 33_000),
        )
        .unwrap(),
        ControlValue::Integer(1),
    ];
    assert_eq!(compare(&values, &events), Vec::<FieldDiff>::new());
    // A client that left frame_num at 0 and pointed the DPB at the wrong buffer shows up.
    let wrong = [
        decode(V4L2_CID_STATELESS_H264_SLICE_PARAMS, &slice_payload()).unwrap(),
        decode(
            V4L2_CID_STATELESS_H264_DECODE_PARAMS,
            &decode_payload(0, 6, 1_000),
        )
        .unwrap(),
    ];
    let diffs = compare(&wrong, &events);
    assert_eq!(diffs.len(), 2, "{diffs:?}");
    assert_eq!(diffs[0].event, "v4l2_ctrl_h264_decode_params");
    assert_eq!(diffs[0].field, "frame_num");
    assert_eq!(
        (diffs[0].decoded.as_str(), diffs[0].visl.as_deref()),
        ("0", Some("3"))
    );
    assert_eq!(diffs[1].field, "dpb[1].reference_ts");
    // A control visl did not print in this run: every field is reported missing.
    let sps = decode(V4L2_CID_STATELESS_H264_SPS, &[0; 1048]).unwrap();
    let diffs = compare(&[sps], &events);
    assert_eq!(diffs.len(), 18);
    assert!(diffs.iter().all(|d| d.visl.is_none()));
}

#[test]
fn runs_split_at_the_first_event_of_each_request() {
    let mut text = String::new();
    for (i, poc) in [(1u16, 2), (2, 4)] {
        text += &format!("{HDR}v4l2_ctrl_h264_sps: \nprofile_idc 66\nflags \n");
        text += &h264_request_text(i, poc, 1000).replace("# tracer: nop\n#\n", "");
    }
    let runs = split_runs(parse_text(&text));
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1][0].event, "v4l2_ctrl_h264_sps");
    let dp = runs[1]
        .iter()
        .find(|e| e.event == "v4l2_ctrl_h264_decode_params")
        .unwrap();
    assert_eq!(dp.get("frame_num"), Some("2"));
    assert_eq!(runs[0].len(), runs[1].len());
}

#[test]
fn hevc_dpb_entries_are_numbered() {
    // TP_printk("\ntimestamp %llu\nflags %s\nfield_pic %u\npic_order_cnt_val %d\n", …)
    let mut text = format!(
        "{HDR}v4l2_ctrl_hevc_decode_params: \npic_order_cnt_val 8\nshort_term_ref_pic_set_size 0\n\
         long_term_ref_pic_set_size 0\nnum_active_dpb_entries 1\nnum_poc_st_curr_before 1\n\
         num_poc_st_curr_after 0\nnum_poc_lt_curr 0\npoc_st_curr_before {{{}}}\n\
         poc_st_curr_after {{{}}}\npoc_lt_curr {{{}}}\nflags \n",
        vec!["0x0"; 16].join(","),
        vec!["0x0"; 16].join(","),
        vec!["0x0"; 16].join(",")
    );
    for i in 0..16 {
        let (ts, poc) = if i == 0 { (5000, 4) } else { (0, 0) };
        text += &format!("{HDR}v4l2_hevc_dpb_entry: \ntimestamp {ts}\nflags \nfield_pic 0\npic_order_cnt_val {poc}\n\n");
    }
    let events = parse_text(&text);
    assert_eq!(events.len(), 17);
    assert_eq!(events[1].get("dpb[0].timestamp"), Some("5000"));
    assert_eq!(events[16].get("dpb[15].pic_order_cnt_val"), Some("0"));
    let mut p = vec![0u8; 328];
    p[0] = 8;
    p[8] = 1;
    p[9] = 1;
    p[64..72].copy_from_slice(&5000u64.to_le_bytes());
    p[76] = 4;
    let v = decode(V4L2_CID_STATELESS_HEVC_DECODE_PARAMS, &p).unwrap();
    assert_eq!(compare(&[v], &events), Vec::<FieldDiff>::new());
}

#[test]
fn hevc_pps_flags_as_visl_prints_them() {
    let mut p = vec![0u8; 64];
    p[56..64].copy_from_slice(&((1u64 << 5) | (1 << 16) | 1).to_le_bytes());
    let v = decode(V4L2_CID_STATELESS_HEVC_PPS, &p).unwrap();
    let f = visl_fields(&v);
    assert_eq!(
        f.last().unwrap().1,
        "DEPENDENT_SLICE_SEGMENT_ENABLED|DISABLE_DEBLOCKING_FILTER|0x20"
    );
}

#[test]
fn pred_weights_event() {
    // TP_printk("\nluma_log2_weight_denom %u\n…\nweight_factor[1].chroma_offset {%s}\n", …)
    let mut p = vec![0u8; 772];
    p[0] = 5;
    p[4..6].copy_from_slice(&(-1i16).to_le_bytes()); // [0].luma_weight[0]
    p[132..134].copy_from_slice(&3i16.to_le_bytes()); // [0].chroma_weight[0][0]
    let arr = |first: &str| {
        let mut v = vec![first.to_string()];
        v.extend(std::iter::repeat_n("0x0".to_string(), 31));
        format!("{{{}}}", v.join(","))
    };
    let mut cw = vec![0u8; 128];
    cw[0] = 3;
    let zeros = vec![0u8; 128];
    let text = format!(
        "{HDR}v4l2_ctrl_h264_pred_weights: \nluma_log2_weight_denom 5\nchroma_log2_weight_denom 0\n\
         weight_factor[0].luma_weight {}\nweight_factor[0].luma_offset {}\n\
         weight_factor[0].chroma_weight {{{}}}\nweight_factor[0].chroma_offset {{{}}}\n\
         weight_factor[1].luma_weight {}\nweight_factor[1].luma_offset {}\n\
         weight_factor[1].chroma_weight {{{}}}\nweight_factor[1].chroma_offset {{{}}}\n",
        arr("0xffff"),
        arr("0x0"),
        hex_dump(&cw),
        hex_dump(&zeros),
        arr("0x0"),
        arr("0x0"),
        hex_dump(&zeros),
        hex_dump(&zeros)
    );
    let ev = parse_line(&text).unwrap();
    assert_eq!(ev.fields.len(), 10);
    let v = decode(V4L2_CID_STATELESS_H264_PRED_WEIGHTS, &p).unwrap();
    assert_eq!(visl_fields(&v), ev.fields);
}

#[test]
fn headers_and_noise() {
    assert_eq!(parse_line("not an event"), None);
    assert_eq!(parse_line("picture_coding_type: 1"), None);
    let ev = parse_line("v4l2_h264_ref_pic_list0: [0]: fields  index 0").unwrap();
    assert_eq!(ev.event, "v4l2_h264_ref_pic_list0");
    // A task name with spaces and a timestamp with more digits.
    let ev = parse_line("  my decoder-77   [001] d..1. 123456.000001: v4l2_h264_ref_pic_list1: [2]: fields TOP_FIELD_REF index 9")
        .unwrap();
    assert_eq!(ev.get("ref_pic_list1[2].index"), Some("9"));
    assert!(parse_text("").is_empty());
    assert!(parse_text("# tracer: nop\n#\n").is_empty());
}
