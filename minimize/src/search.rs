//! The search of `vatrace minimize`: delta debugging ([`crate::ddmin`]) over the trace's units,
//! one level after the other, coarse to fine ([`traces::edit::levels`]: child processes, threads,
//! frames, probing runs, single calls). A candidate is the records kept so far minus some units,
//! minus whatever needed them ([`traces::edit::Deps::close`]); it is written as a trace
//! ([`traces::edit::write_kept`]) and replayed on the device ([`replay::run`]), and the
//! [`Predicate`] judges the replay. Candidates already judged are not replayed again.
//!
//! Injected faults (`--inject`) are resolved once, on the original, to the sequence number of the
//! call they hit (candidates keep the original's numbers), and that call is never removed.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use replay::options::InjectAt;
use replay::{ReplayOptions, Report};
use serde::Serialize;
use sha2::{Digest, Sha256};
use traces::edit::{self, Deps, Trace, UnitKind};
use traces::record::{Derivation, Record};

use crate::ddmin::ddmin;
use crate::Predicate;

/// What to minimise and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub trace: PathBuf,
    pub output: PathBuf,
    pub predicate: Predicate,
    /// How each candidate is replayed (device map, injections, wait timeout).
    pub replay: ReplayOptions,
    /// Replays of the result that must all satisfy the predicate.
    pub confirm: u32,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
}

/// One level of the search.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LevelStat {
    pub level: String,
    /// Units of the level still present when it started, and how many went.
    pub units: usize,
    pub removed: usize,
    pub candidates: u64,
    pub ioctls_after: u64,
}

/// What the search did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    pub source: String,
    pub output: String,
    pub predicate: String,
    pub records_before: u64,
    pub records_after: u64,
    pub ioctls_before: u64,
    pub ioctls_after: u64,
    /// Candidates replayed (the original and the confirmations included), and candidates
    /// answered from the cache.
    pub candidates: u64,
    pub cached: u64,
    pub levels: Vec<LevelStat>,
    /// Confirmation replays of the result that satisfied the predicate, of `confirm`.
    pub confirmed: u32,
    pub confirm: u32,
    pub seconds: f64,
}

impl Outcome {
    /// The one-line summary.
    pub fn line(&self) -> String {
        format!(
            "minimised {} against {}: {} -> {} ioctls ({} -> {} records), {} candidates replayed ({} from cache), \
             result confirmed {}/{}, {:.1} s; wrote {}",
            self.source,
            self.predicate,
            self.ioctls_before,
            self.ioctls_after,
            self.records_before,
            self.records_after,
            self.candidates,
            self.cached,
            self.confirmed,
            self.confirm,
            self.seconds,
            self.output
        )
    }
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Resolves every injection to the sequence number of the call it hits in `trace`.
fn resolve_injections(trace: &Trace, opts: &mut ReplayOptions) -> Result<Vec<u64>> {
    let ioctls = || {
        trace.records.iter().filter_map(|r| match r {
            Record::Ioctl(io) => Some(io),
            _ => None,
        })
    };
    let mut resolver = replay::target::Resolver::new(opts.inject.iter().map(|i| &i.at));
    for io in ioctls() {
        resolver.ioctl(io);
    }
    let mut seqs = Vec::new();
    for (k, inj) in opts.inject.iter_mut().enumerate() {
        let seq = match &inj.at {
            InjectAt::Seq(s) => Some(*s).filter(|s| ioctls().any(|io| io.seq == *s)),
            InjectAt::Nth { name, nth } => ioctls()
                .filter(|io| traces::ioctl::name(io.request) == name.as_str())
                .nth((*nth - 1) as usize)
                .map(|io| io.seq),
            InjectAt::Frame { .. } | InjectAt::Buffer { .. } => resolver.resolved(k),
        };
        let Some(seq) = seq else {
            bail!(
                "--inject {:?}: the trace has no such call; list its calls with `vatrace dump`",
                inj.spec
            );
        };
        inj.at = InjectAt::Seq(seq);
        seqs.push(seq);
    }
    Ok(seqs)
}

fn level_name(kind: &UnitKind) -> &'static str {
    match kind {
        UnitKind::Process(_) => "processes",
        UnitKind::Thread(_) => "threads",
        UnitKind::Frame(_) => "frames",
        UnitKind::Probe => "probing runs",
        UnitKind::Call => "calls",
    }
}

/// Replays candidates and remembers verdicts.
struct Judge<'a> {
    trace: &'a Trace,
    predicate: Predicate,
    replay: ReplayOptions,
    path: PathBuf,
    cache: HashMap<Vec<bool>, bool>,
    replayed: u64,
    cached: u64,
}

impl Judge<'_> {
    fn replay(&mut self, keep: &[bool]) -> Result<Option<Report>> {
        let f = File::create(&self.path)
            .with_context(|| format!("creating {}", self.path.display()))?;
        edit::write_kept(self.trace, keep, None, f)?;
        self.replayed += 1;
        Ok(replay::run(&self.path, &self.replay).ok())
    }

    fn holds(&mut self, keep: &[bool]) -> Result<bool> {
        if let Some(&v) = self.cache.get(keep) {
            self.cached += 1;
            return Ok(v);
        }
        let v = match self.replay(keep)? {
            Some(report) => self.predicate.holds(&self.path, &report)?,
            None => false,
        };
        self.cache.insert(keep.to_vec(), v);
        Ok(v)
    }
}

/// Minimises `opts.trace` against `opts.predicate` and writes the result to `opts.output`.
pub fn minimize(opts: &Options) -> Result<Outcome> {
    let started = Instant::now();
    let trace =
        Trace::read(&opts.trace).with_context(|| format!("reading {}", opts.trace.display()))?;
    let deps = Deps::of(&trace.records);
    let n = trace.records.len();
    let mut ropts = opts.replay.clone();
    ropts.progress = false;
    let injected = resolve_injections(&trace, &mut ropts)?;
    let pinned: Vec<usize> = trace
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r, Record::Ioctl(io) if injected.contains(&io.seq)))
        .map(|(i, _)| i)
        .collect();
    let dir = tempfile::Builder::new()
        .prefix("vatrace-minimize")
        .tempdir()?;
    let mut judge = Judge {
        trace: &trace,
        predicate: opts.predicate.clone(),
        replay: ropts,
        path: dir.path().join("candidate.trace"),
        cache: HashMap::new(),
        replayed: 0,
        cached: 0,
    };
    let all = vec![true; n];
    let mut out = Outcome {
        source: opts.trace.display().to_string(),
        output: opts.output.display().to_string(),
        predicate: opts.predicate.to_string(),
        records_before: n as u64,
        ioctls_before: trace.ioctls(&all),
        confirm: opts.confirm,
        ..Default::default()
    };

    // The original must show the bug.
    let report = match judge.replay(&all)? {
        Some(r) => r,
        None => {
            let e = replay::run(&judge.path, &judge.replay).err();
            bail!(
                "the original trace does not replay here: {}",
                e.map(|e| format!("{e:#}")).unwrap_or_default()
            );
        }
    };
    judge.predicate.learn(&report)?;
    if !judge.predicate.holds(&judge.path, &report)? {
        bail!(
            "the original trace does not satisfy --until {} when replayed here, so there is nothing to keep; \
             replay it (`vatrace replay {}`) and pick a predicate its report shows",
            opts.predicate,
            opts.trace.display()
        );
    }
    judge.cache.insert(all.clone(), true);

    let bar = if opts.progress {
        let b = ProgressBar::new_spinner();
        b.set_style(ProgressStyle::with_template("{spinner} [{elapsed}] {msg}").unwrap());
        b.enable_steady_tick(Duration::from_millis(200));
        b
    } else {
        ProgressBar::hidden()
    };
    let mut keep = all;
    for level in edit::levels(&trace.records, trace.header.root_pid, &deps) {
        let name = level_name(&level[0].kind);
        let units: Vec<Vec<usize>> = level
            .into_iter()
            .map(|u| {
                u.records
                    .into_iter()
                    .filter(|&i| keep[i] && !pinned.contains(&i))
                    .collect::<Vec<usize>>()
            })
            .filter(|rs| !rs.is_empty())
            .collect();
        if units.is_empty() {
            continue;
        }
        let before = judge.replayed;
        let base = keep.clone();
        let mut err = None;
        let kept = ddmin(units.len(), |kept_units| {
            if err.is_some() {
                return false;
            }
            let mut k = base.clone();
            for (u, rs) in units.iter().enumerate() {
                if kept_units.binary_search(&u).is_err() {
                    for &i in rs {
                        k[i] = false;
                    }
                }
            }
            deps.close(&mut k);
            if pinned.iter().any(|&p| !k[p]) {
                return false;
            }
            bar.set_message(format!(
                "{name}: {} units; {} candidates replayed; trying {} of {} ioctls",
                units.len(),
                judge.replayed,
                trace.ioctls(&k),
                out.ioctls_before
            ));
            match judge.holds(&k) {
                Ok(v) => v,
                Err(e) => {
                    err = Some(e);
                    false
                }
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
        for (u, rs) in units.iter().enumerate() {
            if kept.binary_search(&u).is_err() {
                for &i in rs {
                    keep[i] = false;
                }
            }
        }
        deps.close(&mut keep);
        out.levels.push(LevelStat {
            level: name.to_string(),
            units: units.len(),
            removed: units.len() - kept.len(),
            candidates: judge.replayed - before,
            ioctls_after: trace.ioctls(&keep),
        });
    }
    bar.finish_and_clear();

    // Confirm the result.
    for _ in 0..opts.confirm {
        if let Some(r) = judge.replay(&keep)? {
            if judge.predicate.holds(&judge.path, &r)? {
                out.confirmed += 1;
            }
        }
    }
    out.records_after = keep.iter().filter(|k| **k).count() as u64;
    out.ioctls_after = trace.ioctls(&keep);
    let mut how = opts.predicate.to_string();
    for i in &judge.replay.inject {
        how.push_str(&format!(" --inject {}", i.spec));
    }
    let derived = Derivation {
        tool: "minimize".into(),
        source: opts.trace.display().to_string(),
        source_sha256: sha256_file(&opts.trace)?,
        how,
        ioctls_before: out.ioctls_before,
        ioctls_after: out.ioctls_after,
        parent: None,
    };
    let f = File::create(&opts.output)
        .with_context(|| format!("creating {}", opts.output.display()))?;
    edit::write_kept(&trace, &keep, Some(derived), f)?;
    out.candidates = judge.replayed;
    out.cached = judge.cached;
    out.seconds = started.elapsed().as_secs_f64();
    Ok(out)
}
