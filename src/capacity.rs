//! Bounded pools for heavy work: each kind of expensive request (planning reports, navigator
//! exports, route and polygon bodies) runs on its own small rayon pool with a bounded queue and a
//! deadline, so that no kind can take the cores from the others or from the cheap queries that
//! stay on the HTTP workers.
//!
//! A [`BoundedPool`] admits at most `threads + queue` jobs at once; the next one is refused at
//! once ([`CapacityError::Busy`]) rather than queued without end. A job not finished within the
//! deadline is answered [`CapacityError::Deadline`]; if it has not started by then it never
//! starts. A job that has started cannot be stopped from outside (the computations have no
//! cancellation points): it runs to its end and its result is dropped, and its slot stays taken
//! until then, so abandoned work still counts against the bound. Parallel iterators inside a job
//! run on the job's own pool, not on rayon's global one.

use crate::config::PoolSettings;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Why a job was not run to an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapacityError {
    /// Every thread is busy and the queue is full.
    #[error("the {pool} pool is at capacity ({slots} requests running or queued); retry later")]
    Busy {
        /// The pool's name.
        pool: &'static str,
        /// Its threads plus its queue.
        slots: usize,
        /// Suggested wait, seconds.
        retry_after_s: u64,
    },
    /// The job was not done within the deadline.
    #[error("the {pool} request was not done within its deadline of {deadline_ms} ms")]
    Deadline {
        /// The pool's name.
        pool: &'static str,
        /// The deadline.
        deadline_ms: u64,
        /// Suggested wait, seconds.
        retry_after_s: u64,
    },
    /// The job panicked (a bug; the pool thread survives).
    #[error("the {pool} job failed")]
    Panicked {
        /// The pool's name.
        pool: &'static str,
    },
}

impl CapacityError {
    /// Seconds a client should wait before retrying, if retrying may help.
    pub fn retry_after_s(&self) -> Option<u64> {
        match self {
            CapacityError::Busy { retry_after_s, .. }
            | CapacityError::Deadline { retry_after_s, .. } => Some(*retry_after_s),
            CapacityError::Panicked { .. } => None,
        }
    }
}

/// A rayon pool of a fixed number of threads with a bounded number of admitted jobs.
#[derive(Clone)]
pub struct BoundedPool {
    name: &'static str,
    pool: Arc<rayon::ThreadPool>,
    slots: Arc<Semaphore>,
    size: usize,
    deadline: Duration,
}

impl BoundedPool {
    /// Starts `settings.thread_count()` threads named `storenet-{name}-N`, lowered by
    /// `settings.nice` (Linux; 0 leaves them as they are).
    pub fn new(
        name: &'static str,
        settings: &PoolSettings,
    ) -> Result<Self, rayon::ThreadPoolBuildError> {
        let threads = settings.thread_count();
        let nice = settings.nice;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(move |i| format!("storenet-{name}-{i}"))
            .start_handler(move |_| lower_priority(nice))
            .build()?;
        let size = threads + settings.queue;
        Ok(BoundedPool {
            name,
            pool: Arc::new(pool),
            slots: Arc::new(Semaphore::new(size)),
            size,
            deadline: Duration::from_millis(settings.deadline_ms),
        })
    }

    /// The pool's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Jobs admitted now (running or queued).
    pub fn in_use(&self) -> usize {
        self.size - self.slots.available_permits()
    }

    /// Runs `job` on the pool and waits for it, at most the deadline. Refused at once when the
    /// pool and its queue are full.
    pub async fn run<T, F>(&self, job: F) -> Result<T, CapacityError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        // Whole seconds, rounded up: by then every job queued now has started or been dropped.
        let retry_after_s = self.deadline.as_millis().div_ceil(1000).max(1) as u64;
        let permit =
            Arc::clone(&self.slots)
                .try_acquire_owned()
                .map_err(|_| CapacityError::Busy {
                    pool: self.name,
                    slots: self.size,
                    retry_after_s,
                })?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let expires = Instant::now() + self.deadline;
        self.pool.spawn(move || {
            // The slot is held until the job is done, whether or not anyone still waits for it.
            let _permit = permit;
            if tx.is_closed() || Instant::now() >= expires {
                return;
            }
            let _ = tx.send(catch_unwind(AssertUnwindSafe(job)));
        });
        match tokio::time::timeout(self.deadline, rx).await {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(_))) => Err(CapacityError::Panicked { pool: self.name }),
            // The job was dropped unrun: it had outlived the deadline in the queue.
            Ok(Err(_)) | Err(_) => Err(CapacityError::Deadline {
                pool: self.name,
                deadline_ms: self.deadline.as_millis() as u64,
                retry_after_s,
            }),
        }
    }
}

#[cfg(target_os = "linux")]
fn lower_priority(nice: i32) {
    if nice == 0 {
        return;
    }
    // On Linux a thread id names that one thread for setpriority(PRIO_PROCESS, …).
    let tid = rustix::thread::gettid();
    let now = rustix::process::getpriority_process(Some(tid)).unwrap_or(0);
    if let Err(e) = rustix::process::setpriority_process(Some(tid), (now + nice).min(19)) {
        tracing::warn!(error = %e, "could not lower a pool thread's priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority(_nice: i32) {}

/// The service's pools, one per kind of heavy request.
#[derive(Clone)]
pub struct Pools {
    /// Planning reports.
    pub planning: BoundedPool,
    /// Navigator file downloads.
    pub exports: BoundedPool,
    /// Route and polygon bodies.
    pub routes: BoundedPool,
}

impl Pools {
    /// The pools of `capacity`.
    pub fn new(capacity: &crate::config::Capacity) -> Result<Self, rayon::ThreadPoolBuildError> {
        Ok(Pools {
            planning: BoundedPool::new("planning", &capacity.planning)?,
            exports: BoundedPool::new("exports", &capacity.exports)?,
            routes: BoundedPool::new("routes", &capacity.routes)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;

    fn settings(threads: usize, queue: usize, deadline_ms: u64) -> PoolSettings {
        PoolSettings {
            threads,
            queue,
            deadline_ms,
            nice: 0,
        }
    }

    #[tokio::test]
    async fn a_full_pool_refuses_at_once_and_takes_work_again_when_a_slot_frees() {
        let pool = BoundedPool::new("t", &settings(1, 1, 60_000)).unwrap();
        let (release, hold) = mpsc::channel::<()>();
        let hold = Arc::new(std::sync::Mutex::new(hold));
        let h = Arc::clone(&hold);
        let running = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(move || h.lock().unwrap().recv().is_ok()).await }
        });
        let h = Arc::clone(&hold);
        let queued = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(move || h.lock().unwrap().recv().is_ok()).await }
        });
        while pool.in_use() < 2 {
            tokio::task::yield_now().await;
        }
        let e = pool.run(|| 1).await.unwrap_err();
        assert!(matches!(e, CapacityError::Busy { slots: 2, .. }), "{e:?}");
        assert_eq!(e.retry_after_s(), Some(60));
        release.send(()).unwrap();
        release.send(()).unwrap();
        assert_eq!(running.await.unwrap(), Ok(true));
        assert_eq!(queued.await.unwrap(), Ok(true));
        assert_eq!(pool.run(|| 7).await, Ok(7));
    }

    #[tokio::test]
    async fn a_job_past_its_deadline_is_answered_and_a_queued_one_never_starts() {
        let pool = BoundedPool::new("t", &settings(1, 1, 50)).unwrap();
        let (release, hold) = mpsc::channel::<()>();
        let slow = pool.run(move || hold.recv().is_ok());
        let started = Arc::new(AtomicBool::new(false));
        let s = Arc::clone(&started);
        let queued = pool.run(move || s.store(true, Ordering::SeqCst));
        let (a, b) = tokio::join!(slow, queued);
        assert!(matches!(a, Err(CapacityError::Deadline { .. })), "{a:?}");
        assert!(matches!(b, Err(CapacityError::Deadline { .. })), "{b:?}");
        // The abandoned job still holds its slot until it ends.
        assert_eq!(pool.in_use(), 2);
        release.send(()).unwrap();
        while pool.in_use() > 0 {
            tokio::task::yield_now().await;
        }
        assert!(
            !started.load(Ordering::SeqCst),
            "the expired job must not run"
        );
    }

    #[tokio::test]
    async fn parallel_iterators_in_a_job_stay_on_its_pool_and_a_panic_is_an_error() {
        use rayon::prelude::*;
        let pool = BoundedPool::new("t", &settings(2, 0, 60_000)).unwrap();
        let names = pool
            .run(|| {
                (0..64)
                    .into_par_iter()
                    .map(|_| std::thread::current().name().unwrap_or("").to_string())
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap();
        assert!(
            names.iter().all(|n| n.starts_with("storenet-t-")),
            "{names:?}"
        );
        let e = pool.run(|| -> u8 { panic!("boom") }).await.unwrap_err();
        assert_eq!(e, CapacityError::Panicked { pool: "t" });
        assert_eq!(pool.run(|| 3).await, Ok(3));
    }
}
