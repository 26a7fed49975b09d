//! The desk's single writer, with group commit. Every submission and decision is a job handed to
//! [`WriteLock::write`]; jobs run one batch at a time, each batch in one SQLite transaction.
//!
//! Why: SQLite allows one writer at a time, and through sqlx every statement is a round trip to
//! the connection's worker thread. Run one transaction per request, a stored submission costs
//! seven round trips; in a batch it costs its own statements plus a share of the batch's
//! `BEGIN IMMEDIATE`, key id, log tail and `COMMIT` (docs/performance.md, "Under load").
//!
//! How (an appender started on demand, not a task living beside the app):
//! - A caller queues its job and waits on a oneshot channel. If no appender is running, the
//!   caller spawns one. The appender takes the queue's first [`MAX_BATCH`] jobs, runs them as one
//!   batch, and repeats until the queue is empty, then stops. It never waits for more jobs:
//!   when the desk is idle, a batch holds one job and starts at once. Under load, the jobs that
//!   arrive while one batch runs form the next batch.
//! - The appender is a spawned task, so a caller that goes away (a closed connection drops its
//!   handler) never interrupts a batch that holds other callers' jobs.
//! - A batch: `BEGIN IMMEDIATE`, the current key and the log's tail read once, then each job
//!   inside its own `SAVEPOINT`. A job that fails is rolled back to its savepoint and its tail
//!   forgotten; the others go on. Then one `COMMIT`, and only then is every caller answered.
//!   If anything outside a job fails (the `BEGIN`, the key, the `COMMIT`), the transaction is
//!   rolled back as a whole and every caller in the batch gets an error: nothing is half-stored.
//! - Jobs own their inputs (`'static`): they outlive the caller's borrow if the caller goes away.
//! - New requests, the writer's commonest work, are not closures but [`NewRequest`] values
//!   ([`WriteLock::insert_new`]): the new requests queued one after another go into the batch as
//!   a group, stored with one multi-row insert of their versions and one of their log entries.
//!   Every statement is a round trip to SQLite's connection thread, and those round trips were
//!   the writer's time (docs/performance.md, "Where a submission's time goes"): a group of 30
//!   costs two of them instead of ninety. A reference found taken is drawn again (the insert
//!   skips taken ones and returns those it stored), and its record signed again.
//! - Checkpoints: when a batch takes the log past a multiple of the writer's interval
//!   ([`WriteLock::checkpoint_every`], default 100 entries), the batch also signs the new head
//!   and stores it ([`crate::store::checkpoints`]) before its `COMMIT`: one signature and one
//!   insert per hundred entries, in the transaction that made them.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;
use tokio::sync::oneshot;

use crate::signing::{KeyRing, PrivateKey};
use crate::store::registrations::{self, VersionRow};
use crate::store::{checkpoints, drafts, log};

/// The most jobs one batch (one transaction) holds: enough to absorb 64 concurrent clients in
/// one commit, few enough that a batch stays a few milliseconds long.
pub const MAX_BATCH: usize = 64;

/// A boxed future borrowing the batch's connection.
pub type JobFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a job sees of its batch: the signing key current when the batch began, and the log's
/// tail as the batch's earlier jobs left it.
pub struct Batch {
    keys: KeyRing,
    key: Arc<PrivateKey>,
    tail: log::Tail,
}

impl Batch {
    /// The key to sign with (the database's current key, read once in this transaction).
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// The records' `iss`.
    pub fn issuer(&self) -> &str {
        self.keys.issuer()
    }

    /// Appends an entry to the log after the batch's tail and moves the tail on.
    pub async fn append(
        &mut self,
        connection: &mut AnyConnection,
        kind: log::Kind,
        reference: &str,
        version: i64,
        jws: &str,
        now: OffsetDateTime,
    ) -> anyhow::Result<log::LogEntry> {
        log::append_after(
            connection,
            &mut self.tail,
            kind,
            reference,
            version,
            jws,
            now,
        )
        .await
    }
}

/// A record signed before queueing, off the writer's path (see [`WriteLock::last_key`]): used
/// only when, in its batch, the reference is free, the version is the one expected and `kid`
/// is still the current key.
#[derive(Debug, Clone)]
pub struct SignedAhead {
    /// The key it was signed with.
    pub kid: String,
    /// The reference it names.
    pub reference: String,
    /// The version it names.
    pub version: i64,
    /// The record (JWS compact).
    pub record: String,
}

/// Signs a new request's record for a reference, with a key and the records' issuer: used when
/// the record signed ahead cannot be (its reference was taken, or the key changed).
pub type SignRecord = Box<dyn Fn(&PrivateKey, &str, &str) -> String + Send>;

/// A new request's first version, for [`WriteLock::insert_new`].
pub struct NewRequest {
    /// The version as stored.
    pub row: VersionRow,
    /// The draft it was submitted from, deleted in the same transaction.
    pub draft_id: Option<String>,
    /// Its record signed ahead, with the reference drawn then.
    pub signed_ahead: Option<SignedAhead>,
    /// Signs its record for another reference or key.
    pub sign: SignRecord,
    /// When it was submitted (the log entry's time).
    pub now: OffsetDateTime,
}

/// A stored new request: its reference and its record's log entry.
#[derive(Debug, Clone)]
pub struct StoredNew {
    /// The reference it was stored under.
    pub reference: String,
    /// Its record's entry in the log.
    pub entry: log::LogEntry,
}

/// How many batches and jobs the writer has committed (tests check that jobs are batched).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions committed.
    pub batches: u64,
    /// Jobs answered from committed transactions (failed jobs included).
    pub jobs: u64,
    /// The most jobs one committed transaction held.
    pub largest_batch: u64,
}

/// The desk's single writer (one per database): submissions and decisions go through
/// [`WriteLock::write`] and are committed in batches (see the module comment). Cloning shares it.
#[derive(Clone, Default)]
pub struct WriteLock(Arc<Shared>);

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    /// Held for each batch; [`WriteLock::turn`] holds it to keep batches from starting.
    turn: tokio::sync::Mutex<()>,
    /// The key the last batch found current (callers sign ahead with it; see [`WriteLock::last_key`]).
    last_key: Mutex<Option<Arc<PrivateKey>>>,
    batches: AtomicU64,
    jobs: AtomicU64,
    largest_batch: AtomicU64,
    checkpoint_every: CheckpointEvery,
}

/// Entries between checkpoints (0: none from the writer).
struct CheckpointEvery(u64);

impl Default for CheckpointEvery {
    fn default() -> Self {
        CheckpointEvery(checkpoints::DEFAULT_EVERY)
    }
}

/// A queued piece of work: a job, or a new request (stored in a group with its neighbours).
enum Queued {
    Job(Box<dyn Job>),
    New(Box<NewPending>),
}

impl Queued {
    fn answer(self, committed: Result<(), &anyhow::Error>) {
        match self {
            Queued::Job(job) => job.answer(committed),
            Queued::New(pending) => pending.answer(committed),
        }
    }
}

/// A queued new request, its result once its group is stored, and its caller.
struct NewPending {
    request: NewRequest,
    result: Option<StoredNew>,
    sender: oneshot::Sender<anyhow::Result<StoredNew>>,
}

impl NewPending {
    fn answer(self: Box<Self>, committed: Result<(), &anyhow::Error>) {
        let answer = match (self.result, committed) {
            (Some(stored), Ok(())) => Ok(stored),
            (_, Err(error)) => Err(anyhow::anyhow!(
                "the write batch was rolled back: {error:#}"
            )),
            (None, Ok(())) => Err(anyhow::anyhow!("the new request was not stored")),
        };
        // The caller may have gone away; what was committed stays committed.
        let _ = self.sender.send(answer);
    }
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Queued>,
    /// An appender is running (it will take every queued job before it stops).
    appender_running: bool,
}

impl fmt::Debug for WriteLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteLock")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl WriteLock {
    /// A new writer with an empty queue (one per database).
    pub fn new() -> WriteLock {
        WriteLock::default()
    }

    /// Runs `work` in the writer's next batch, inside its own savepoint, and returns its result
    /// once the batch has committed. When `work` fails, what it wrote is rolled back and its
    /// error returned; when the batch fails to commit, the error is the batch's.
    ///
    /// `pool` and `keys` are the database and keys this writer belongs to (every desk sharing a
    /// writer shares them).
    pub async fn write<T, E, F>(&self, pool: &AnyPool, keys: &KeyRing, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<anyhow::Error> + Send + 'static,
        F: for<'a> FnOnce(&'a mut AnyConnection, &'a mut Batch) -> JobFuture<'a, Result<T, E>>
            + Send
            + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        let job = Box::new(Pending {
            work: Some(work),
            result: None,
            sender,
        });
        self.enqueue(Queued::Job(job), pool, keys);
        receiver.await.unwrap_or_else(|_| {
            Err(E::from(anyhow::anyhow!(
                "the writer stopped before answering"
            )))
        })
    }

    /// Stores a new request's first version and its record in the writer's next batch, with
    /// the new requests queued next to it (see the module comment), and returns its reference
    /// and log entry once the batch has committed. `pool` and `keys` as for [`WriteLock::write`].
    pub async fn insert_new(
        &self,
        pool: &AnyPool,
        keys: &KeyRing,
        request: NewRequest,
    ) -> anyhow::Result<StoredNew> {
        let (sender, receiver) = oneshot::channel();
        let pending = Box::new(NewPending {
            request,
            result: None,
            sender,
        });
        self.enqueue(Queued::New(pending), pool, keys);
        receiver
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the writer stopped before answering")))
    }

    /// Queues `work` and starts the appender if none is running.
    fn enqueue(&self, work: Queued, pool: &AnyPool, keys: &KeyRing) {
        let start_appender = {
            let mut queue = self.queue();
            queue.jobs.push_back(work);
            !std::mem::replace(&mut queue.appender_running, true)
        };
        if start_appender {
            tokio::spawn(self.clone().append_batches(pool.clone(), keys.clone()));
        }
    }

    /// A new writer that signs a checkpoint of the log whenever a batch takes it past a
    /// multiple of `every` entries (0: never; `appreg log checkpoint` still makes them).
    pub fn with_checkpoint_every(every: u64) -> WriteLock {
        WriteLock(Arc::new(Shared {
            checkpoint_every: CheckpointEvery(every),
            ..Shared::default()
        }))
    }

    /// Waits for the writer's turn: while the guard is held, no batch starts (jobs queue up).
    pub async fn turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.0.turn.lock().await
    }

    /// The signing key the last batch found current, if a batch has run. Callers may sign a
    /// record with it before queueing, off the writer's path; the job uses that signature only
    /// when its batch finds the same key current (and the same reference and version), and signs
    /// again otherwise.
    pub fn last_key(&self) -> Option<Arc<PrivateKey>> {
        self.0
            .last_key
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// How many jobs are waiting for a batch.
    pub fn queued(&self) -> usize {
        self.queue().jobs.len()
    }

    /// What the writer has committed so far.
    pub fn stats(&self) -> WriterStats {
        WriterStats {
            batches: self.0.batches.load(Ordering::Relaxed),
            jobs: self.0.jobs.load(Ordering::Relaxed),
            largest_batch: self.0.largest_batch.load(Ordering::Relaxed),
        }
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        // The queue is only pushed to and drained; a panic elsewhere cannot leave it half-changed.
        self.0
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The appender: batches until the queue is empty.
    async fn append_batches(self, pool: AnyPool, keys: KeyRing) {
        let mut stopped = AppenderStopped {
            writer: &self,
            abnormally: true,
        };
        loop {
            let turn = self.0.turn.lock().await;
            let mut jobs: Vec<Queued> = {
                let mut queue = self.queue();
                if queue.jobs.is_empty() {
                    // Under the queue's lock: a job queued after this sees no appender and
                    // starts one.
                    queue.appender_running = false;
                    stopped.abnormally = false;
                    return;
                }
                let take = queue.jobs.len().min(MAX_BATCH);
                queue.jobs.drain(..take).collect()
            };
            let committed = run_batch(&self, &pool, &keys, &mut jobs).await;
            drop(turn);
            match &committed {
                Ok(()) => {
                    let count = jobs.len() as u64;
                    self.0.batches.fetch_add(1, Ordering::Relaxed);
                    self.0.jobs.fetch_add(count, Ordering::Relaxed);
                    self.0.largest_batch.fetch_max(count, Ordering::Relaxed);
                }
                Err(error) => {
                    tracing::error!(error = %format!("{error:#}"), jobs = jobs.len(), "a write batch was rolled back");
                }
            }
            for job in jobs {
                job.answer(committed.as_ref().map(|_| ()));
            }
        }
    }
}

/// Runs `jobs` in one transaction: each in its own savepoint, then one commit.
async fn run_batch(
    writer: &WriteLock,
    pool: &AnyPool,
    keys: &KeyRing,
    jobs: &mut [Queued],
) -> anyhow::Result<()> {
    // The store's writer lock comes first (BEGIN IMMEDIATE on SQLite, an advisory lock shared by
    // every desk on PostgreSQL), so neither the key id nor the log's tail read here can change
    // before this transaction commits.
    let mut transaction = crate::store::begin_write(pool).await?;
    let key = keys.current(&mut transaction).await?;
    *writer
        .0
        .last_key
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(key.clone());
    let tail = log::tail(&mut transaction).await?;
    let start = tail.seq;
    let mut batch = Batch {
        keys: keys.clone(),
        key,
        tail,
    };
    // New requests next to one another are stored as a group, in queue order with the jobs.
    let mut group: Vec<&mut NewPending> = Vec::new();
    for queued in jobs.iter_mut() {
        let job = match queued {
            Queued::New(pending) => {
                group.push(pending);
                continue;
            }
            Queued::Job(job) => job,
        };
        store_new(&mut transaction, &mut batch, &mut group).await?;
        group.clear();
        // Savepoints of one name nest; `ROLLBACK TO` undoes the newest, this job's. Those left
        // open end with the COMMIT, which saves a RELEASE round trip per job.
        sqlx::query("SAVEPOINT job")
            .execute(&mut *transaction)
            .await?;
        let tail_before = batch.tail.clone();
        if !job.run(&mut transaction, &mut batch).await {
            sqlx::query("ROLLBACK TO job")
                .execute(&mut *transaction)
                .await?;
            batch.tail = tail_before;
        }
    }
    store_new(&mut transaction, &mut batch, &mut group).await?;
    let every = i64::try_from(writer.0.checkpoint_every.0).unwrap_or(i64::MAX);
    if every > 0 && batch.tail.seq / every > start / every {
        let checkpoint = checkpoints::sign(
            &batch.key,
            batch.keys.issuer(),
            &batch.tail,
            OffsetDateTime::now_utc(),
        );
        checkpoints::insert(&mut transaction, &checkpoint).await?;
    }
    // Dropped uncommitted (an error above), the transaction is rolled back as a whole.
    transaction.commit().await?;
    Ok(())
}

/// How many times a group draws references for requests whose reference was taken.
const REFERENCE_ATTEMPTS: usize = 8;

/// Stores a group of new requests: their versions in one insert (drawing new references for
/// any taken), their records (signed again where the reference or the key changed) appended
/// after the batch's tail in one insert, their drafts deleted in one statement. Any failure
/// fails the batch (a taken reference is not a failure).
async fn store_new(
    connection: &mut AnyConnection,
    batch: &mut Batch,
    group: &mut [&mut NewPending],
) -> anyhow::Result<()> {
    if group.is_empty() {
        return Ok(());
    }
    let mut references = group
        .iter()
        .map(|pending| match &pending.request.signed_ahead {
            Some(ahead) => Ok(ahead.reference.clone()),
            None => registrations::new_reference(),
        })
        .collect::<anyhow::Result<Vec<String>>>()?;
    let mut waiting: Vec<usize> = (0..group.len()).collect();
    for _ in 0..REFERENCE_ATTEMPTS {
        // One statement cannot hold a reference twice: a repeat would be skipped as taken by
        // the row before it, and both reported stored.
        let mut drawn = std::collections::HashSet::new();
        for &k in &waiting {
            while !drawn.insert(references[k].clone()) {
                references[k] = registrations::new_reference()?;
            }
        }
        let rows: Vec<(&str, i64, &VersionRow)> = waiting
            .iter()
            .map(|&k| (references[k].as_str(), 1, &group[k].request.row))
            .collect();
        let inserted = registrations::insert_versions(connection, &rows).await?;
        waiting.retain(|&k| !inserted.contains(&references[k]));
        if waiting.is_empty() {
            break;
        }
        for &k in &waiting {
            references[k] = registrations::new_reference()?;
        }
    }
    anyhow::ensure!(
        waiting.is_empty(),
        "no free reference after {REFERENCE_ATTEMPTS} attempts"
    );
    let mut entries = Vec::with_capacity(group.len());
    for (pending, reference) in group.iter_mut().zip(&references) {
        let request = &mut pending.request;
        let record = match request.signed_ahead.take() {
            Some(ahead)
                if ahead.kid == batch.key.kid()
                    && &ahead.reference == reference
                    && ahead.version == 1 =>
            {
                ahead.record
            }
            _ => (request.sign)(&batch.key, batch.keys.issuer(), reference),
        };
        let entry = log::next_entry(
            &batch.tail,
            log::Kind::RegistrationRecord,
            reference,
            1,
            &record,
            request.now,
        )?;
        batch.tail = entry.as_tail();
        entries.push(entry);
    }
    log::insert_entries(connection, &entries).await?;
    let drafts: Vec<&str> = group
        .iter()
        .filter_map(|pending| pending.request.draft_id.as_deref())
        .collect();
    drafts::delete_many_in(connection, &drafts).await?;
    for ((pending, reference), entry) in group.iter_mut().zip(references).zip(entries) {
        pending.result = Some(StoredNew { reference, entry });
    }
    Ok(())
}

/// Ends an appender that stopped abnormally (a panic, the runtime shutting down): its queued
/// jobs are dropped, so their callers are answered with an error rather than waiting forever,
/// and the next job starts a new appender.
struct AppenderStopped<'w> {
    writer: &'w WriteLock,
    abnormally: bool,
}

impl Drop for AppenderStopped<'_> {
    fn drop(&mut self) {
        if self.abnormally {
            let mut queue = self.writer.queue();
            queue.jobs.clear();
            queue.appender_running = false;
        }
    }
}

/// A queued job with its result type erased.
trait Job: Send {
    /// Runs the job on the batch's connection; true when it succeeded.
    fn run<'a>(
        &'a mut self,
        connection: &'a mut AnyConnection,
        batch: &'a mut Batch,
    ) -> JobFuture<'a, bool>;

    /// Answers the caller once the batch is over: `committed` is the batch's outcome.
    fn answer(self: Box<Self>, committed: Result<(), &anyhow::Error>);
}

struct Pending<T, E, F> {
    work: Option<F>,
    result: Option<Result<T, E>>,
    sender: oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Job for Pending<T, E, F>
where
    T: Send + 'static,
    E: From<anyhow::Error> + Send + 'static,
    F: for<'a> FnOnce(&'a mut AnyConnection, &'a mut Batch) -> JobFuture<'a, Result<T, E>>
        + Send
        + 'static,
{
    fn run<'a>(
        &'a mut self,
        connection: &'a mut AnyConnection,
        batch: &'a mut Batch,
    ) -> JobFuture<'a, bool> {
        Box::pin(async move {
            let Some(work) = self.work.take() else {
                return false;
            };
            let result = work(connection, batch).await;
            let succeeded = result.is_ok();
            self.result = Some(result);
            succeeded
        })
    }

    fn answer(self: Box<Self>, committed: Result<(), &anyhow::Error>) {
        let answer = match (self.result, committed) {
            // A failed job's own error says why it was not stored, whatever the batch did.
            (Some(Err(error)), _) => Err(error),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(error)) => Err(E::from(anyhow::anyhow!(
                "the write batch was rolled back: {error:#}"
            ))),
            (None, Ok(())) => Err(E::from(anyhow::anyhow!("the job was not run"))),
        };
        // The caller may have gone away; what was committed stays committed.
        let _ = self.sender.send(answer);
    }
}
