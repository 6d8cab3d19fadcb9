//! The CPU kernels' threads: a team of helpers that split a kernel with the thread that calls it.
//!
//! A split kernel is a number of parts, each a function of its index alone. The caller posts
//! them, runs parts itself until none is left unclaimed, and waits for those the helpers took,
//! so a team of `cores - 1` helpers keeps every core busy and none oversubscribed. (rayon's
//! pool, used before, blocked the caller while as many workers as cores ran, then let them spin
//! beside it: a fifth of a training step on two cores went to the scheduler.) Between kernels a
//! helper watches for the next one for a fifth of a millisecond, on its own core, before it
//! sleeps on a condition variable: a training step's kernels follow each other closer than that,
//! and waking a sleeping thread costs the caller a system call (some 15 us in a VM).
//!
//! How a kernel divides into parts depends on its sizes only, never on the number of threads,
//! and a part runs alone on whichever thread takes it: results are the same on every thread
//! count. `WGRAD_NUM_THREADS` sets the count (the machine's cores by default); a second kernel
//! posted while the team is busy, from another thread or from inside a part, runs its parts on
//! its own caller.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::sync::lock;

/// How long an idle helper, or a caller waiting for the helpers' last parts, watches before it
/// sleeps.
const SPIN: Duration = Duration::from_micros(200);

/// A kernel's parts, borrowed for the duration of one [`Team::run`].
type Parts<'a> = &'a (dyn Fn(usize) + Sync);

/// The kernel being run and the claims on its parts.
struct Job {
    /// The parts, with their lifetime erased: [`Team::run`] does not return until every part
    /// that was claimed has finished, and parts are claimed only while the job is posted.
    parts: Parts<'static>,
    count: usize,
    next: usize,
    panic: Option<Box<dyn Any + Send>>,
}

#[derive(Default)]
struct State {
    job: Option<Job>,
    /// Helpers asleep on `posted`.
    sleepers: usize,
    /// Whether the caller sleeps on `finished`.
    caller_asleep: bool,
}

/// Helper threads and the one job they share.
pub(crate) struct Team {
    helpers: usize,
    state: Mutex<State>,
    /// Counts posted jobs, for helpers watching for the next one.
    generation: AtomicU64,
    /// Parts of the posted job not yet finished, for the caller watching for the last.
    unfinished: AtomicUsize,
    /// Sleeping helpers wait here for a job.
    posted: Condvar,
    /// A sleeping caller waits here for the last part to finish.
    finished: Condvar,
}

impl Team {
    /// The process's team: `WGRAD_NUM_THREADS` threads in all (the machine's cores by default),
    /// the caller included; helpers start on first use.
    pub(crate) fn shared() -> &'static Team {
        static TEAM: OnceLock<&'static Team> = OnceLock::new();
        TEAM.get_or_init(|| {
            let threads = std::env::var("WGRAD_NUM_THREADS")
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()));
            Team::start(threads - 1)
        })
    }

    /// A team of `helpers` threads besides its callers, living as long as the process.
    fn start(helpers: usize) -> &'static Team {
        let team: &'static Team = Box::leak(Box::new(Team {
            helpers,
            state: Mutex::default(),
            generation: AtomicU64::new(0),
            unfinished: AtomicUsize::new(0),
            posted: Condvar::new(),
            finished: Condvar::new(),
        }));
        for i in 0..helpers {
            // A helper that fails to start leaves its share to the others and the caller.
            let _ = thread::Builder::new()
                .name(format!("wgrad-cpu-{i}"))
                .spawn(move || team.help());
        }
        team
    }

    /// Threads that work on one kernel, the caller included.
    pub(crate) fn threads(&self) -> usize {
        self.helpers + 1
    }

    /// Runs `parts(i)` for every `i` in `0..count`, each once, across the team and the caller;
    /// returns when all have run. A panicking part is re-raised here, after the others finish.
    pub(crate) fn run(&self, count: usize, parts: &(dyn Fn(usize) + Sync)) {
        if count <= 1 || self.helpers == 0 {
            (0..count).for_each(parts);
            return;
        }
        let mut state = lock(&self.state);
        if state.job.is_some() {
            drop(state);
            (0..count).for_each(parts);
            return;
        }
        // SAFETY: only the lifetime is erased. Parts are claimed under the lock while the job
        // is posted, and the job is taken down below only after every claimed part finished;
        // this function returns (or unwinds) only after that.
        let erased: Parts<'static> =
            unsafe { std::mem::transmute::<Parts<'_>, Parts<'static>>(parts) };
        state.job = Some(Job {
            parts: erased,
            count,
            next: 0,
            panic: None,
        });
        self.unfinished.store(count, Ordering::Relaxed);
        self.generation.fetch_add(1, Ordering::Release);
        if state.sleepers > 0 {
            self.posted.notify_all();
        }
        while let Some((i, _)) = claim(&mut state) {
            drop(state);
            let outcome = catch_unwind(AssertUnwindSafe(|| parts(i)));
            state = lock(&self.state);
            self.finish(&mut state, outcome);
        }
        drop(state);
        spin_until(|| self.unfinished.load(Ordering::Acquire) == 0);
        state = lock(&self.state);
        while self.unfinished.load(Ordering::Acquire) > 0 {
            state.caller_asleep = true;
            state = wait(&self.finished, state);
        }
        state.caller_asleep = false;
        let panic = state.job.take().and_then(|job| job.panic);
        drop(state);
        if let Some(payload) = panic {
            resume_unwind(payload);
        }
    }

    /// A helper's life: run the parts it can claim, watch for the next job, sleep, repeat.
    fn help(&self) {
        loop {
            let mut state = lock(&self.state);
            if let Some((i, parts)) = claim(&mut state) {
                drop(state);
                let outcome = catch_unwind(AssertUnwindSafe(|| parts(i)));
                state = lock(&self.state);
                self.finish(&mut state, outcome);
                continue;
            }
            let seen = self.generation.load(Ordering::Acquire);
            drop(state);
            if spin_until(|| self.generation.load(Ordering::Acquire) != seen) {
                continue;
            }
            state = lock(&self.state);
            if self.generation.load(Ordering::Acquire) == seen {
                state.sleepers += 1;
                state = wait(&self.posted, state);
                state.sleepers -= 1;
            }
        }
    }

    /// Records that a claimed part finished (keeping the first panic), waking a sleeping caller
    /// after the last.
    fn finish(&self, state: &mut State, outcome: Result<(), Box<dyn Any + Send>>) {
        if let (Err(payload), Some(job)) = (outcome, state.job.as_mut()) {
            job.panic.get_or_insert(payload);
        }
        if self.unfinished.fetch_sub(1, Ordering::Release) == 1 && state.caller_asleep {
            self.finished.notify_all();
        }
    }
}

/// Watches `done` for [`SPIN`]; whether it came true.
fn spin_until(done: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    loop {
        for _ in 0..64 {
            if done() {
                return true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() > SPIN {
            return false;
        }
    }
}

/// An unclaimed part of the posted job, now claimed: its index and the job's parts.
fn claim(state: &mut State) -> Option<(usize, Parts<'static>)> {
    let job = state.job.as_mut()?;
    (job.next < job.count).then(|| {
        job.next += 1;
        (job.next - 1, job.parts)
    })
}

fn wait<'a>(condvar: &Condvar, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
    condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// A buffer that parts of one kernel write in disjoint pieces.
pub(crate) struct Disjoint<U>(*mut U);

// SAFETY: parts write through the pointer only at the disjoint positions each owns (see
// `Disjoint::new`'s contract), and `U: Send` values may be written from any thread.
unsafe impl<U: Send> Sync for Disjoint<U> {}

impl<U> Disjoint<U> {
    /// # Safety
    /// Every write through the result must go to positions no other part writes, inside the
    /// buffer, while the buffer outlives the kernel.
    pub(crate) unsafe fn new(ptr: *mut U) -> Disjoint<U> {
        Disjoint(ptr)
    }

    pub(crate) fn ptr(&self) -> *mut U {
        self.0
    }
}

/// `f(piece_index, piece)` for each `chunk`-long piece of `out` (the last may be shorter),
/// split across the team.
pub(crate) fn for_each_chunk<U: Send>(
    out: &mut [U],
    chunk: usize,
    f: impl Fn(usize, &mut [U]) + Sync,
) {
    let len = out.len();
    // SAFETY: piece i covers positions i * chunk .. min((i + 1) * chunk, len) of `out`, which
    // outlives the run; no two pieces overlap.
    let base = unsafe { Disjoint::new(out.as_mut_ptr()) };
    Team::shared().run(len.div_ceil(chunk), &|i| {
        let start = i * chunk;
        let piece = (start + chunk).min(len) - start;
        // SAFETY: see above.
        f(i, unsafe {
            std::slice::from_raw_parts_mut(base.ptr().add(start), piece)
        });
    });
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::Team;

    #[test]
    fn every_part_runs_once_on_any_team() {
        for helpers in [0, 1, 3] {
            let team = Team::start(helpers);
            for count in [0, 1, 2, 7, 64] {
                let runs: Vec<AtomicUsize> = (0..count).map(|_| AtomicUsize::new(0)).collect();
                team.run(count, &|i| {
                    runs[i].fetch_add(1, Ordering::Relaxed);
                });
                assert!(
                    runs.iter().all(|r| r.load(Ordering::Relaxed) == 1),
                    "{helpers} helpers, {count} parts"
                );
            }
        }
    }

    #[test]
    fn a_kernel_inside_a_part_runs_on_its_caller_and_a_panic_reaches_the_caller() {
        let team = Team::start(2);
        let total = AtomicUsize::new(0);
        team.run(4, &|_| {
            team.run(3, &|j| {
                total.fetch_add(j + 1, Ordering::Relaxed);
            });
        });
        assert_eq!(total.load(Ordering::Relaxed), 4 * 6);
        let caught = std::panic::catch_unwind(|| {
            team.run(5, &|i| assert!(i != 3, "part 3 fails"));
        });
        assert!(caught.is_err(), "the panic of part 3 is re-raised");
        let after = AtomicUsize::new(0);
        team.run(5, &|_| {
            after.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(
            after.load(Ordering::Relaxed),
            5,
            "the team works after a panic"
        );
    }
}
