//! Library target of the eBPF crate: empty. It exists so that `tracer` can list this crate as a
//! build-dependency (cargo then rebuilds `tracer` when the eBPF sources change); the programs
//! themselves are the `tracer` binary target, built for `bpfel-unknown-none` by aya-build.
#![no_std]
