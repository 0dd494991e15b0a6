//! Fuzz target: `TraceReader` must never panic, loop or over-allocate, whatever the input, and
//! neither may the decoders and the dump of whatever records it yields.
//!
//! Run from /work/main/fuzz with `cargo +nightly fuzz run trace_reader`. Inputs are taken both
//! as they are and behind a valid magic, so the fuzzer reaches the CBOR decoding quickly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use traces::dump::Dumper;
use traces::record::MAGIC;
use traces::TraceReader;

fn drain(bytes: &[u8]) {
    if let Ok(reader) = TraceReader::new(bytes) {
        let _ = reader.header().to_unix_ns(0);
        let mut dumper = Dumper::new(reader.header());
        for record in reader {
            match record {
                Ok(r) => {
                    let _ = dumper.json_line(&r);
                    let _ = dumper.line(&r);
                }
                Err(_) => break,
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    drain(data);
    let mut with_magic = MAGIC.to_vec();
    with_magic.extend_from_slice(data);
    drain(&with_magic);
});
