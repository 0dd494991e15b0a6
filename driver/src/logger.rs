//! The driver's log: `log` records on stderr with a `v4l2_request:` prefix. The level comes
//! from `V4L2_REQUEST_LOG` (error, warn, info, debug, trace; default warn). Installed once per
//! process; a client's own logger, if it installed one first, wins.

use std::io::Write;
use std::sync::Once;

struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::max_level()
    }

    fn log(&self, r: &log::Record) {
        if self.enabled(r.metadata()) {
            let _ = writeln!(
                std::io::stderr().lock(),
                "v4l2_request: {}: {}",
                r.level(),
                r.args()
            );
        }
    }

    fn flush(&self) {}
}

static LOGGER: StderrLogger = StderrLogger;
static INIT: Once = Once::new();

/// Installs the stderr logger (idempotent).
pub fn init() {
    INIT.call_once(|| {
        let level = match std::env::var("V4L2_REQUEST_LOG").as_deref() {
            Ok("off") => log::LevelFilter::Off,
            Ok("error") => log::LevelFilter::Error,
            Ok("info") => log::LevelFilter::Info,
            Ok("debug") => log::LevelFilter::Debug,
            Ok("trace") => log::LevelFilter::Trace,
            _ => log::LevelFilter::Warn,
        };
        if log::set_logger(&LOGGER).is_ok() {
            log::set_max_level(level);
        }
    });
}
