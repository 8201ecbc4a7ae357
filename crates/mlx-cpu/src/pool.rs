//! The kernels' thread pool: `threads - 1` workers plus the calling thread, one job at a time.
//!
//! Why not rayon: a rayon worker that finds no work goes to sleep within microseconds, and on a
//! VM waking a sleeping vCPU took about 0.5 ms (measured: two 500 us halves of a `join` after
//! 1 ms of idle ran one after the other). Kernels come in bursts with serial work between them
//! (graph walking, allocation, the next op's setup), so most parallel ops paid that. Here an idle
//! worker spins (with `spin_loop` hints) for [`SPIN`] before it parks, as OpenBLAS's threads do,
//! so back-to-back ops find it awake.
//!
//! Invariants:
//! - A job is `f(i)` for `i` in `0..n`; threads claim runs of consecutive pieces from a shared
//!   counter, so which thread runs a piece is not fixed, but every piece runs exactly once.
//! - `run` returns only after every worker that joined the job has left it: the job's closure
//!   (borrowed from the caller's stack) is never touched after `run` returns, even when a piece
//!   panics (the panic is re-raised in the caller after the others finish).
//! - A call made while the pool is busy (from another user thread) or from inside a piece (a
//!   nested parallel op) runs its pieces inline on the calling thread: it never blocks on the
//!   pool, so it cannot deadlock.

use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long an idle worker spins before it parks.
const SPIN: Duration = Duration::from_millis(2);

/// Spinning threads give their CPU away (`sched_yield`) every this many polls, as OpenBLAS's
/// do: when the scheduler puts two of our threads on one CPU, a spinner that never yields holds
/// back the thread it waits for until its time slice ends (2-3 ms stalls, measured).
const YIELD_EVERY: u32 = 32;

/// One poll's wait: a `spin_loop` hint, or a yield every [`YIELD_EVERY`] polls.
fn pause(polls: u32) {
    if polls.is_multiple_of(YIELD_EVERY) {
        std::thread::yield_now();
    } else {
        std::hint::spin_loop();
    }
}

/// `ctl`'s layout: the job's epoch in the high 32 bits, a "closed" bit (no more joiners), and
/// the number of workers that joined in the low 31 bits.
const CLOSED: u64 = 1 << 31;
const JOINED: u64 = CLOSED - 1;

type Job = dyn Fn(usize) + Sync;

/// A fat pointer to the current job's closure, with its lifetime erased (see `run`'s SAFETY).
#[derive(Clone, Copy)]
struct JobPtr(*const Job);

pub struct Pool {
    threads: usize,
    busy: AtomicBool,
    ctl: AtomicU64,
    job: Mutex<Option<JobPtr>>,
    n: AtomicUsize,
    next: AtomicUsize,
    left: AtomicUsize,
    panicked: AtomicBool,
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

// SAFETY: `JobPtr` is only dereferenced by workers between joining a job and leaving it, while
// the caller of `run` keeps the closure (which is `Sync`) alive.
unsafe impl Send for JobPtr {}

thread_local! {
    /// Set while this thread runs a piece of a job: nested parallel calls then run inline.
    static IN_JOB: Cell<bool> = const { Cell::new(false) };
}

impl Pool {
    /// A pool of `threads` threads in all (`threads - 1` workers are spawned now); `None` when
    /// `threads <= 1` or no thread can be spawned.
    pub fn new(threads: usize) -> Option<&'static Pool> {
        if threads <= 1 {
            return None;
        }
        let pool: &'static Pool = Box::leak(Box::new(Pool {
            threads,
            busy: AtomicBool::new(false),
            ctl: AtomicU64::new(0),
            job: Mutex::new(None),
            n: AtomicUsize::new(0),
            next: AtomicUsize::new(0),
            left: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        }));
        for i in 0..threads - 1 {
            let spawned = std::thread::Builder::new().name(format!("mlx-cpu-{i}")).spawn(move || pool.work());
            if spawned.is_err() {
                // The workers already spawned only ever join jobs; with none to join they park.
                return None;
            }
        }
        Some(pool)
    }

    /// Calls `f(i)` for every `i` in `0..n`, spread over the pool's threads; returns when all
    /// have run. Inline when the pool is busy or the caller is inside a piece already.
    pub fn run(&self, n: usize, f: &(dyn Fn(usize) + Sync + '_)) {
        if n <= 1 || IN_JOB.with(|c| c.get()) || self.busy.swap(true, Acquire) {
            (0..n).for_each(f);
            return;
        }
        // SAFETY: the pointer's lifetime is erased so workers can reach it through the pool.
        // Workers dereference it only after joining this job (a successful CAS on `ctl` before
        // it is closed below) and stop before incrementing `left`; this function returns only
        // once `left` equals the number that joined, so `f` outlives every use.
        let ptr = JobPtr(unsafe { std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), *const Job>(f) });
        *self.job.lock().unwrap_or_else(|e| e.into_inner()) = Some(ptr);
        self.n.store(n, Relaxed);
        self.next.store(0, Relaxed);
        self.left.store(0, Relaxed);
        self.panicked.store(false, Relaxed);
        // A new epoch, open, nobody joined. SeqCst pairs with the sleepers' check in `wait_for_epoch`.
        let epoch = (self.ctl.load(Relaxed) >> 32) + 1;
        self.ctl.store(epoch << 32, SeqCst);
        if self.sleepers.load(SeqCst) > 0 {
            let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.wake.notify_all();
        }
        let mine = catch_unwind(AssertUnwindSafe(|| self.claim(f)));
        // No new joiners from here on; wait for those that joined to leave.
        let joined = (self.ctl.fetch_or(CLOSED, AcqRel) & JOINED) as usize;
        let mut spins = 0u32;
        while self.left.load(Acquire) != joined {
            spins = spins.wrapping_add(1);
            pause(spins);
        }
        *self.job.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let panicked = self.panicked.load(Relaxed);
        self.busy.store(false, Release);
        if let Err(p) = mine {
            resume_unwind(p);
        }
        if panicked {
            panic!("[cpu] a kernel panicked on a worker thread");
        }
    }

    /// Runs pieces until none is left to claim, flagged as inside a job.
    fn claim(&self, f: &(dyn Fn(usize) + Sync + '_)) {
        let was = IN_JOB.with(|c| c.replace(true));
        let n = self.n.load(Relaxed);
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut cur = self.next.load(Relaxed);
            while cur < n {
                // Guided claims: a share of what is left, so threads walk long contiguous runs
                // first (streaming kernels keep their prefetch) and balance with small ones last.
                let take = ((n - cur) / (2 * self.threads)).max(1);
                match self.next.compare_exchange_weak(cur, cur + take, Relaxed, Relaxed) {
                    Ok(_) => {
                        (cur..cur + take).for_each(f);
                        cur = self.next.load(Relaxed);
                    }
                    Err(now) => cur = now,
                }
            }
        }));
        IN_JOB.with(|c| c.set(was));
        if let Err(p) = result {
            resume_unwind(p);
        }
    }

    /// A worker's loop: wait for a new epoch, try to join it, run pieces, leave.
    fn work(&self) {
        let mut seen = self.ctl.load(Acquire) >> 32;
        loop {
            let state = self.wait_for_epoch(seen);
            seen = state >> 32;
            let mut s = state;
            let joined = loop {
                if s >> 32 != seen || s & CLOSED != 0 {
                    break false;
                }
                match self.ctl.compare_exchange_weak(s, s + 1, AcqRel, Acquire) {
                    Ok(_) => break true,
                    Err(now) => s = now,
                }
            };
            if !joined {
                continue;
            }
            let job = *self.job.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(JobPtr(f)) = job {
                // SAFETY: joined and not yet left: `run` keeps the closure alive (see there).
                let f = unsafe { &*f };
                if catch_unwind(AssertUnwindSafe(|| self.claim(f))).is_err() {
                    self.panicked.store(true, Relaxed);
                }
            }
            self.left.fetch_add(1, Release);
        }
    }

    /// Spins, then parks, until `ctl` holds an epoch other than `seen`; returns that state.
    fn wait_for_epoch(&self, seen: u64) -> u64 {
        let start = Instant::now();
        let mut spins = 0u32;
        loop {
            let s = self.ctl.load(Acquire);
            if s >> 32 != seen {
                return s;
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(YIELD_EVERY) && start.elapsed() > SPIN {
                break;
            }
            pause(spins);
        }
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.sleepers.fetch_add(1, SeqCst);
        loop {
            let s = self.ctl.load(SeqCst);
            if s >> 32 != seen {
                self.sleepers.fetch_sub(1, SeqCst);
                return s;
            }
            guard = self.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    fn counts(n: usize) -> Vec<AtomicU32> {
        (0..n).map(|_| AtomicU32::new(0)).collect()
    }

    #[test]
    fn every_piece_runs_once_on_several_threads() {
        let pool = Pool::new(3).expect("threads");
        for n in [0, 1, 2, 3, 7, 1000] {
            let c = counts(n);
            let threads = Mutex::new(std::collections::HashSet::new());
            pool.run(n, &|i| {
                c[i].fetch_add(1, Relaxed);
                threads.lock().unwrap().insert(std::thread::current().id());
                std::thread::sleep(Duration::from_micros(50));
            });
            assert!(c.iter().all(|x| x.load(Relaxed) == 1), "n = {n}");
            if n >= 100 {
                assert!(threads.lock().unwrap().len() > 1, "a worker joined");
            }
        }
    }

    #[test]
    fn nested_and_concurrent_calls_run_inline() {
        let pool = Pool::new(2).expect("threads");
        let c = counts(64);
        std::thread::scope(|s| {
            for half in 0..2 {
                let c = &c;
                s.spawn(move || {
                    for _ in 0..50 {
                        pool.run(4, &|i| pool.run(4, &|j| {
                            c[half * 32 + i * 4 + j].fetch_add(1, Relaxed);
                        }));
                    }
                });
            }
        });
        assert!(c[..16].iter().chain(&c[32..48]).all(|x| x.load(Relaxed) == 50));
        assert!(c[16..32].iter().chain(&c[48..]).all(|x| x.load(Relaxed) == 0));
    }

    #[test]
    fn parked_workers_wake_for_the_next_job() {
        let pool = Pool::new(2).expect("threads");
        pool.run(2, &|_| {});
        std::thread::sleep(SPIN * 3);
        let c = counts(200);
        pool.run(200, &|i| {
            c[i].fetch_add(1, Relaxed);
        });
        assert!(c.iter().all(|x| x.load(Relaxed) == 1));
    }

    #[test]
    fn a_panicking_piece_reaches_the_caller_and_the_pool_survives() {
        let pool = Pool::new(2).expect("threads");
        for bad in [0, 99] {
            let r = catch_unwind(|| {
                pool.run(100, &|i| {
                    std::thread::sleep(Duration::from_micros(20));
                    assert!(i != bad, "piece {i}");
                })
            });
            assert!(r.is_err());
        }
        let c = counts(100);
        pool.run(100, &|i| {
            c[i].fetch_add(1, Relaxed);
        });
        assert!(c.iter().all(|x| x.load(Relaxed) == 1));
    }
}
