//! Generates the Rust bindings of libva's driver-side API (`va/va_backend.h`, which pulls in
//! `va/va.h` and its decode structs) and of the media controller uapi (`linux/media.h`) with
//! bindgen. Needs libva-dev (>= 2.17) and libclang at build time.
//!
//! Set `VA_INCLUDE_DIR` to use another libva's headers, `MEDIA_INCLUDE_DIR` (or v4l2r's
//! `V4L2R_VIDEODEV2_H_PATH`) to use other kernel uapi headers.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=wrapper.h");
    println!("cargo::rerun-if-env-changed=VA_INCLUDE_DIR");
    println!("cargo::rerun-if-env-changed=MEDIA_INCLUDE_DIR");
    println!("cargo::rerun-if-env-changed=V4L2R_VIDEODEV2_H_PATH");

    let mut clang_args = Vec::new();
    if let Ok(dir) = env::var("VA_INCLUDE_DIR") {
        clang_args.push(format!("-I{dir}"));
    }
    if let Ok(dir) = env::var("MEDIA_INCLUDE_DIR").or_else(|_| env::var("V4L2R_VIDEODEV2_H_PATH")) {
        clang_args.push(format!("-I{dir}"));
    }

    let bindings = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_args(clang_args)
        .allowlist_type("VA.*")
        .allowlist_type("_VA.*")
        .allowlist_var("VA_.*")
        .allowlist_type("media_.*")
        .allowlist_var("MEDIA_.*")
        .allowlist_type("drm_state")
        .derive_default(true)
        .prepend_enum_name(false)
        .layout_tests(false)
        .generate_comments(false)
        .generate()
        .expect("bindgen failed on va/va_backend.h + linux/media.h (is libva-dev installed?)");

    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("bindings.rs");
    bindings
        .write_to_file(out)
        .expect("cannot write bindings.rs");
}
