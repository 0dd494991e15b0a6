//! Builds the eBPF programs (`tracer-ebpf`, for bpfel/bpfeb-unknown-none with the nightly
//! toolchain and bpf-linker) through aya-build; `src/loader.rs` embeds the result.

fn main() -> anyhow::Result<()> {
    let root_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tracer-ebpf");
    println!("cargo:rerun-if-changed={root_dir}/src");
    println!("cargo:rerun-if-changed={root_dir}/Cargo.toml");
    println!("cargo:rerun-if-changed=../tracer-common/src");
    println!("cargo:rerun-if-changed=../uapi/src");
    // tracer-ebpf is excluded from the workspace (the host toolchain must never build it), so
    // aya-build's `cargo build --package tracer-ebpf` has to run from its own directory, where it
    // is its own workspace root with its own lock file and release profile (panic = "abort").
    std::env::set_current_dir(root_dir)?;
    aya_build::build_ebpf(
        [aya_build::Package {
            name: "tracer-ebpf",
            root_dir,
            ..Default::default()
        }],
        aya_build::Toolchain::default(),
    )?;
    // With AYA_BUILD_SKIP=1 (no nightly or bpf-linker, e.g. for clippy or docs) aya-build builds
    // nothing: embed an empty object, which the loader refuses with a clear message.
    let object = std::path::Path::new(&std::env::var("OUT_DIR")?).join("tracer");
    if !object.exists() {
        std::fs::write(&object, b"")?;
    }
    Ok(())
}
