//! `appreg log verify`: checks everything the pages trust against the signed log, and goes on
//! after a problem so that one report lists them all.
//!
//! 1. **The chain** (page by page, as [`log::verify_chain`]): every link, every hash, every
//!    signature, each record's `jti` and `version` and each decision's target and `jti` against
//!    its entry.
//! 2. **Revoked keys.** A signature by a revoked key is still checked cryptographically. An entry
//!    it signed *before* its revocation is a notice, not a failure: the key was trusted when it
//!    signed, and the entry is held in place by the hash chain (and by any checkpoint taken since).
//!    An entry it signed *at or after* its revocation is an error: only someone holding a key the
//!    desk gave up can have made it. "When" is the latest `created_at` the chain has reached at
//!    that entry, not the entry's own claim, so a backdated entry appended after newer ones does
//!    not pass as old.
//! 3. **The requests** (a page of references at a time): each stored version's status is
//!    recomputed from its signed decisions (no decision: `submitted`; otherwise the `status` the
//!    last decision signed; a version superseded by a resubmission keeps `changes_requested`, as
//!    stored) and compared with the stored one; each decision must name the SHA-256 of its
//!    version's record, be a legal step from the status before it (a second approval by another
//!    reviewer), and match its `decision` row; each stored request must say what its signed
//!    record says; every entry must have its stored version and every version its record.
//! 4. **Checkpoints**: the desk's stored checkpoints, and optionally one from outside
//!    (`--checkpoint`), must be signed by a desk key and match the log at their size.
//!
//! Memory stays bounded whatever the log's length: entries, references and checkpoints are read
//! a page at a time, and at most [`MAX_PROBLEMS`] problems are kept (the rest are counted).

use std::collections::HashMap;
use std::fmt;

use registration::lifecycle::{Decision, Status, Step};
use serde_json::{Value, json};
use sqlx::{AnyPool, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::signing::{self, KeySet, VerifyError};
use crate::store::application_steps::{self, StoredStep};
use crate::store::checkpoints;
use crate::store::keys::{self as key_store, KeyState};
use crate::store::log::{self, Broken, GENESIS, Kind, LogEntry};

/// How many entries are read at a time.
const ENTRY_PAGE: i64 = 512;
/// How many references are checked at a time.
const REFERENCE_PAGE: i64 = 256;
/// The most problems a report keeps (the rest are counted).
pub const MAX_PROBLEMS: usize = 1000;

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The log entry it is about, when it is about one.
    pub seq: Option<i64>,
    /// The request it is about, when known.
    pub reference: Option<String>,
    /// The version it is about, when known.
    pub version: Option<i64>,
    /// What is wrong.
    pub what: Finding,
}

/// What is wrong (each says what in plain words; [`Finding::advice`] says what to do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The chain or an entry's signature is broken (as [`log::verify_chain`] reports it).
    Entry(Broken),
    /// Signed by a revoked key at or after its revocation.
    SignedAfterRevocation {
        /// The key.
        kid: String,
        /// When it was revoked.
        revoked_at: String,
    },
    /// The entry's `created_at` is not an RFC 3339 time.
    EntryTime,
    /// The signed record's `version` claim is not the entry's version.
    RecordVersion {
        /// The claim (`None` when missing).
        claimed: Option<i64>,
        /// The entry's version.
        entry: i64,
    },
    /// The decision's `jti` is not `REF/vN/decision/n`.
    DecisionJti(String),
    /// The entry names a version that is not stored.
    NoStoredVersion,
    /// A stored version has no record in the log.
    NoRecord,
    /// More than one record entry for one version.
    DuplicateRecord {
        /// The entries.
        seqs: Vec<i64>,
    },
    /// The stored request differs from its signed record.
    StoredRequestDiffers {
        /// The record's claims that differ.
        fields: Vec<&'static str>,
    },
    /// The decision's `record_sha256` is not the hash of its version's record.
    DecisionRecordHash {
        /// The version.
        version: i64,
    },
    /// A decision comes before any record of its version.
    DecisionWithoutRecord,
    /// A decision on a version that was not awaiting one.
    DecisionOutOfTurn {
        /// The status before it.
        before: String,
    },
    /// The signed status is not what that decision can lead to.
    DecisionStatus {
        /// The decision.
        decision: String,
        /// The status before.
        before: String,
        /// The status it signed.
        claimed: String,
    },
    /// The second approval is by the reviewer who gave the first.
    SecondApprovalBySameReviewer,
    /// A signed decision has no `decision` row (the pages do not show it).
    DecisionWithoutRow {
        /// Its number.
        n: i64,
    },
    /// A `decision` row differs from its signed entry.
    DecisionRowDiffers {
        /// Its number.
        n: i64,
        /// The columns that differ.
        fields: Vec<&'static str>,
    },
    /// A `decision` row has no signed entry.
    DecisionRowWithoutEntry {
        /// Its number.
        n: i64,
        /// The entry it names.
        log_seq: i64,
    },
    /// The stored status is not the one the signed decisions give.
    StatusMismatch {
        /// As stored.
        stored: String,
        /// As recomputed.
        recomputed: String,
    },
    /// An implementation of a version that was not approved (or was implemented already).
    ImplementationOutOfTurn {
        /// The status before it.
        before: String,
    },
    /// The implementation's `record_sha256` is not the hash of its version's record.
    ImplementationRecordHash,
    /// The `implementation` row is missing or differs from its signed entry.
    ImplementationRowDiffers {
        /// The columns that differ (`row` when there is none).
        fields: Vec<&'static str>,
    },
    /// A deletion or recovery step that cannot follow the status before it, or that signed
    /// another status than its rule gives.
    StepOutOfTurn {
        /// The step's number.
        n: i64,
        /// The step.
        step: String,
        /// The status before it (recomputed).
        before: String,
    },
    /// An `application_step` row is missing or differs from its signed entry.
    StepRowDiffers {
        /// The step's number.
        n: i64,
        /// The columns that differ (`row` when there is none).
        fields: Vec<&'static str>,
    },
    /// An account's row does not say what its last signed change says (role, organisation,
    /// disabled): it was changed outside the desk.
    AccountDiffers {
        /// The account's email.
        email: String,
        /// What differs.
        fields: Vec<&'static str>,
    },
    /// An `application_step` row has no signed entry.
    StepRowWithoutEntry {
        /// Its number.
        n: i64,
        /// The entry it names.
        log_seq: i64,
    },
    /// A renewal or change was made while the version it supersedes was not live, or its signed
    /// entry names another version as superseded.
    SupersededOutOfTurn {
        /// The version that was live before (recomputed), if any.
        live_version: Option<i64>,
        /// Its status when the renewal or change was made (recomputed).
        status: String,
    },
    /// A version was stored while the one before it was not waiting for changes.
    VersionOutOfTurn {
        /// The previous version's status (recomputed).
        previous: String,
    },
    /// A checkpoint (the desk's own, or one given with `--checkpoint`) is not valid or does not
    /// match the log.
    Checkpoint(CheckpointProblem),
}

/// What is wrong with a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointProblem {
    /// Its signature does not verify, or its claims are not a checkpoint's.
    Invalid(String),
    /// Signed by a revoked key at or after its revocation.
    SignedAfterRevocation {
        /// The key.
        kid: String,
        /// When it was revoked.
        revoked_at: String,
    },
    /// The log is shorter than the checkpoint: entries it covered are gone.
    Truncated {
        /// The checkpoint's size.
        size: i64,
        /// The log's length.
        entries: i64,
    },
    /// The entry at the checkpoint's size has another hash: the log was rewritten from there or
    /// before (a rollback to a copy that then grew differently, or a fork).
    Fork {
        /// The checkpoint's size.
        size: i64,
        /// The hash it signed.
        signed: String,
        /// The hash in the log.
        found: String,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Entry(broken) => write!(f, "{broken}"),
            Finding::SignedAfterRevocation { kid, revoked_at } => write!(
                f,
                "it is signed by key {kid} after its revocation at {revoked_at}"
            ),
            Finding::EntryTime => f.write_str("its created_at is not an RFC 3339 time"),
            Finding::RecordVersion { claimed, entry } => match claimed {
                Some(claimed) => write!(
                    f,
                    "the signed record says version {claimed}, not the entry's version {entry}"
                ),
                None => write!(
                    f,
                    "the signed record has no version (the entry says {entry})"
                ),
            },
            Finding::DecisionJti(jti) => write!(
                f,
                "the signed decision's jti is '{jti}', not REFERENCE/vN/decision/n for this entry"
            ),
            Finding::NoStoredVersion => f.write_str(
                "the entry's request version has no stored version (registration_request row)",
            ),
            Finding::NoRecord => f.write_str("the stored version has no signed record in the log"),
            Finding::DuplicateRecord { seqs } => write!(
                f,
                "the version has more than one signed record, in entries {}",
                join(seqs)
            ),
            Finding::StoredRequestDiffers { fields } => write!(
                f,
                "the stored request differs from its signed record in: {}",
                fields.join(", ")
            ),
            Finding::DecisionRecordHash { version } => write!(
                f,
                "the decision's record_sha256 is not the SHA-256 of version {version}'s signed record"
            ),
            Finding::DecisionWithoutRecord => {
                f.write_str("the decision comes before any signed record of its version")
            }
            Finding::DecisionOutOfTurn { before } => write!(
                f,
                "the decision was made while the version was {before}, not awaiting a decision"
            ),
            Finding::DecisionStatus {
                decision,
                before,
                claimed,
            } => write!(
                f,
                "the decision '{decision}' on a {before} version signed status {claimed}, which that decision cannot lead to"
            ),
            Finding::SecondApprovalBySameReviewer => {
                f.write_str("the second approval is by the reviewer who gave the first")
            }
            Finding::DecisionWithoutRow { n } => write!(
                f,
                "signed decision {n} has no decision row (the pages do not show it)"
            ),
            Finding::DecisionRowDiffers { n, fields } => write!(
                f,
                "decision row {n} differs from its signed entry in: {}",
                fields.join(", ")
            ),
            Finding::DecisionRowWithoutEntry { n, log_seq } => write!(
                f,
                "decision row {n} names log entry {log_seq}, which does not hold that signed decision"
            ),
            Finding::StatusMismatch { stored, recomputed } => write!(
                f,
                "its stored status is {stored}, but its signed decisions give {recomputed}"
            ),
            Finding::VersionOutOfTurn { previous } => write!(
                f,
                "this version was stored while the version before it was {previous}, not changes_requested (and no version of it was live to renew or change)"
            ),
            Finding::SupersededOutOfTurn {
                live_version,
                status,
            } => match live_version {
                Some(version) => write!(
                    f,
                    "this renewal or change was made while version {version}, which it supersedes, was {status}, not live (or its signed entry names another version)"
                ),
                None => f.write_str(
                    "this renewal or change names a superseded version, but no earlier version was made in the tenant",
                ),
            },
            Finding::ImplementationOutOfTurn { before } => write!(
                f,
                "the application was recorded as implemented while the version was {before}, not approved"
            ),
            Finding::ImplementationRecordHash => f.write_str(
                "the signed implementation's record_sha256 is not the hash of its version's record",
            ),
            Finding::ImplementationRowDiffers { fields } => write!(
                f,
                "the stored implementation differs from its signed entry in: {}",
                fields.join(", ")
            ),
            Finding::StepOutOfTurn { n, step, before } => write!(
                f,
                "step {n} ({step}) cannot follow the status {before}, or signed another status than it leads to"
            ),
            Finding::StepRowDiffers { n, fields } => write!(
                f,
                "the stored step {n} differs from its signed entry in: {}",
                fields.join(", ")
            ),
            Finding::StepRowWithoutEntry { n, log_seq } => write!(
                f,
                "step row {n} names log entry {log_seq}, which does not hold that signed step"
            ),
            Finding::AccountDiffers { email, fields } => write!(
                f,
                "the account {email} is not what its last signed change says ({})",
                fields.join(", ")
            ),
            Finding::Checkpoint(problem) => write!(f, "{problem}"),
        }
    }
}

impl fmt::Display for CheckpointProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointProblem::Invalid(why) => write!(f, "the checkpoint is not valid: {why}"),
            CheckpointProblem::SignedAfterRevocation { kid, revoked_at } => write!(
                f,
                "the checkpoint is signed by key {kid} after its revocation at {revoked_at}"
            ),
            CheckpointProblem::Truncated { size, entries } => write!(
                f,
                "the log was truncated: the checkpoint covers {size} entries, the log has {entries}"
            ),
            CheckpointProblem::Fork {
                size,
                signed,
                found,
            } => write!(
                f,
                "the log was rewritten (a fork or rollback): the checkpoint signed entry {size} as {signed}, the log holds {found}"
            ),
        }
    }
}

impl Finding {
    /// What a person should do about it.
    pub const fn advice(&self) -> &'static str {
        match self {
            Finding::Entry(Broken::Signature(
                VerifyError::Revoked(_) | VerifyError::UnknownKid(_),
            ))
            | Finding::SignedAfterRevocation { .. } => {
                "treat the entry as forged: find who could use that key, and restore the database from a backup taken before the entry (check it against a checkpoint)"
            }
            Finding::Entry(_)
            | Finding::EntryTime
            | Finding::RecordVersion { .. }
            | Finding::DecisionJti(_) => {
                "the log was altered: stop accepting decisions, restore the database from a backup that verifies (check it against the latest checkpoint), and find out who could write to it"
            }
            Finding::NoStoredVersion | Finding::NoRecord | Finding::DuplicateRecord { .. } => {
                "the stored requests and the log disagree: restore the database from a backup that verifies, or ask the desk's maintainers; do not act on this request until it is resolved"
            }
            Finding::StoredRequestDiffers { .. } => {
                "the pages and exports show a request other than the one signed: trust the signed record (GET …/record), and restore the stored request from a backup that verifies"
            }
            Finding::DecisionRecordHash { .. }
            | Finding::DecisionWithoutRecord
            | Finding::DecisionOutOfTurn { .. }
            | Finding::DecisionStatus { .. }
            | Finding::SecondApprovalBySameReviewer => {
                "the signed decision does not fit its request: treat the request as undecided, have it reviewed again, and find out how the decision was made"
            }
            Finding::DecisionWithoutRow { .. }
            | Finding::DecisionRowDiffers { .. }
            | Finding::DecisionRowWithoutEntry { .. } => {
                "the decision history the pages show is not the signed one: trust the signed decisions (GET …/decisions), and restore the decision table from a backup that verifies"
            }
            Finding::ImplementationOutOfTurn { .. }
            | Finding::SupersededOutOfTurn { .. }
            | Finding::ImplementationRecordHash
            | Finding::ImplementationRowDiffers { .. } => {
                "the registered application the pages show is not the signed one: trust the signed implementation entry (GET …/decisions and the log), restore the implementation table from a backup that verifies, and find out how it was changed"
            }
            Finding::StepOutOfTurn { .. }
            | Finding::StepRowDiffers { .. }
            | Finding::StepRowWithoutEntry { .. } => {
                "the deletion and recovery history the pages show is not the signed one: trust the signed steps in the log, restore the application_step table from a backup that verifies, and find out how it was changed"
            }
            Finding::AccountDiffers { .. } => {
                "someone changed who may do what without the desk (directly in the database): disable the account (`appreg user disable`), set it back with `appreg user set-role` or `enable` (which signs the change), and find out who changed it"
            }
            Finding::StatusMismatch { .. } | Finding::VersionOutOfTurn { .. } => {
                "the status the pages show is not the signed one: do not act on it (no export, no implementation); set it back to the recomputed status from a backup that verifies, and find out who changed it"
            }
            Finding::Checkpoint(CheckpointProblem::Invalid(_)) => {
                "get the checkpoint again from /.well-known/appreg-checkpoint or your own copy; if it still fails, it was not made by this desk"
            }
            Finding::Checkpoint(_) => {
                "entries the desk had published are gone or changed: stop the desk, keep this database for investigation, and restore from a backup that matches the checkpoint"
            }
        }
    }
}

fn join(seqs: &[i64]) -> String {
    seqs.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Entries signed by a revoked key before its revocation (a notice, not a failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBeforeRevocation {
    /// The key.
    pub kid: String,
    /// When it was revoked.
    pub revoked_at: String,
    /// The first such entry.
    pub first: i64,
    /// The last such entry.
    pub last: i64,
    /// How many.
    pub count: i64,
}

/// What was checked against an outside checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCheckpoint {
    /// The number of entries it covers.
    pub size: i64,
    /// The hash of its last entry.
    pub root: String,
    /// The key that signed it.
    pub kid: String,
    /// When it was made (RFC 3339).
    pub issued_at: String,
}

/// What `appreg log verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Entries walked.
    pub entries: i64,
    /// Record entries among them.
    pub records: i64,
    /// Decision entries among them.
    pub decisions: i64,
    /// Implementation entries among them.
    pub implementations: i64,
    /// Secret-purge entries among them.
    pub secret_purges: i64,
    /// Application steps among them: withdrawals, deletions, recoveries, purges.
    pub application_steps: i64,
    /// Account changes among them.
    pub account_changes: i64,
    /// Accounts checked against their last signed change.
    pub accounts: i64,
    /// Accounts with no signed change (made before account changes were signed).
    pub accounts_unrecorded: i64,
    /// Requests (references) checked.
    pub requests: i64,
    /// Stored versions checked.
    pub versions: i64,
    /// The desk's stored checkpoints checked.
    pub checkpoints: i64,
    /// The problems found, in order (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<Problem>,
    /// Problems found beyond those kept.
    pub more_problems: u64,
    /// Entries signed by revoked keys before their revocation, one line per key.
    pub revoked_before: Vec<SignedBeforeRevocation>,
    /// The outside checkpoint, when one was given and its signature verified.
    pub checkpoint: Option<CheckedCheckpoint>,
}

impl Report {
    /// True when nothing is wrong (notices allowed).
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && self.more_problems == 0
    }

    /// How many problems in all.
    pub fn problem_count(&self) -> u64 {
        self.problems.len() as u64 + self.more_problems
    }

    fn add(&mut self, problem: Problem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        } else {
            self.more_problems += 1;
        }
    }

    fn at_entry(&mut self, entry: &LogEntry, what: Finding) {
        self.add(Problem {
            seq: Some(entry.seq),
            reference: Some(entry.reference.clone()),
            version: Some(entry.version),
            what,
        });
    }

    /// The report as a person reads it: each problem with what to do, notices, and a summary
    /// line. The first line is `ok: N entries` when nothing is wrong; a problem at an entry
    /// reads `broken at entry N: …` (the shapes CONTRACTS.md §5 promises).
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        if self.is_ok() {
            let _ = writeln!(out, "ok: {} entries", self.entries);
        }
        for problem in &self.problems {
            let about = match (&problem.reference, problem.version) {
                (Some(reference), Some(version)) => format!("{reference} v{version}"),
                (Some(reference), None) => reference.clone(),
                _ => String::new(),
            };
            let line = match (problem.seq, &problem.what) {
                (_, Finding::Checkpoint(what)) => format!("checkpoint problem: {what}"),
                (Some(seq), what) if about.is_empty() => format!("broken at entry {seq}: {what}"),
                (Some(seq), what) => format!("broken at entry {seq}: {what} ({about})"),
                (None, what) => format!("problem with {about}: {what}"),
            };
            let _ = writeln!(out, "{line}");
            let _ = writeln!(out, "  what to do: {}", problem.what.advice());
        }
        if self.more_problems > 0 {
            let _ = writeln!(
                out,
                "… and {} more problems not listed (fix those above and run it again)",
                self.more_problems
            );
        }
        for notice in &self.revoked_before {
            let _ = writeln!(
                out,
                "notice: entries {}-{} ({} of them) were signed by key {} before it was revoked at {}: they stand, because their signatures verify and the hash chain holds them in place; keep a copy of a checkpoint taken after them",
                notice.first, notice.last, notice.count, notice.kid, notice.revoked_at
            );
        }
        if let Some(checkpoint) = &self.checkpoint {
            let _ = writeln!(
                out,
                "checkpoint: size {}, root {}, signed by {} at {}",
                checkpoint.size, checkpoint.root, checkpoint.kid, checkpoint.issued_at
            );
        }
        let mut after_approval = if self.implementations + self.secret_purges > 0 {
            format!(
                ", {} implementations, {} secret purges",
                self.implementations, self.secret_purges
            )
        } else {
            String::new()
        };
        if self.application_steps > 0 {
            after_approval.push_str(&format!(
                ", {} application steps (withdrawals, deletions, recoveries)",
                self.application_steps
            ));
        }
        if self.account_changes > 0 {
            after_approval.push_str(&format!(", {} account changes", self.account_changes));
        }
        let checked = format!(
            "{} entries ({} records, {} decisions{after_approval}), {} requests ({} versions), {} stored checkpoints",
            self.entries,
            self.records,
            self.decisions,
            self.requests,
            self.versions,
            self.checkpoints
        );
        if self.is_ok() {
            let _ = writeln!(out, "checked: {checked}");
        } else {
            let _ = writeln!(
                out,
                "not ok: {} problems; checked {checked}",
                self.problem_count()
            );
        }
        out
    }
}

/// The desk's keys as the audit needs them: every key that ever signed (revoked ones too, so
/// that their signatures are still checked) and when each revoked key was revoked.
pub struct DeskKeys {
    all: KeySet,
    revoked_at: HashMap<String, (String, OffsetDateTime)>,
}

impl DeskKeys {
    /// Reads the keys from the database.
    pub async fn load(pool: &AnyPool) -> anyhow::Result<DeskKeys> {
        let mut keys = Vec::new();
        let mut revoked_at = HashMap::new();
        for key in key_store::list(pool).await? {
            if key.state == KeyState::Revoked {
                let text = key.revoked_at.clone().unwrap_or_default();
                let at =
                    OffsetDateTime::parse(&text, &Rfc3339).unwrap_or(OffsetDateTime::UNIX_EPOCH);
                revoked_at.insert(key.kid.clone(), (text, at));
            }
            keys.push(key.published_jwk());
        }
        Ok(DeskKeys {
            all: KeySet::from_jwks(&json!({ "keys": keys })),
            revoked_at,
        })
    }

    /// Checks a JWS of media type `typ` signed at `at`: its signature against every desk key,
    /// then the revocation: `Ok((claims, Some(kid)))` when signed by a revoked key before its
    /// revocation, `Err` when it does not verify or was signed at or after the revocation.
    fn verify(
        &self,
        jws: &str,
        typ: &str,
        at: Option<OffsetDateTime>,
    ) -> Result<(Value, Option<(String, String)>), Finding> {
        let verified = signing::jws::verify_as(jws, &self.all, typ)
            .map_err(|error| Finding::Entry(Broken::Signature(error)))?;
        match self.revoked_at.get(&verified.kid) {
            None => Ok((verified.claims, None)),
            Some((text, revoked_at)) => match at {
                Some(at) if at < *revoked_at => {
                    Ok((verified.claims, Some((verified.kid, text.clone()))))
                }
                _ => Err(Finding::SignedAfterRevocation {
                    kid: verified.kid,
                    revoked_at: text.clone(),
                }),
            },
        }
    }
}

/// Runs every check; `outside` is a checkpoint given with `--checkpoint` (its JWS).
pub async fn run(pool: &AnyPool, outside: Option<&str>) -> anyhow::Result<Report> {
    let keys = DeskKeys::load(pool).await?;
    let mut report = Report::default();
    walk_chain(pool, &keys, &mut report).await?;
    check_requests(pool, &mut report).await?;
    check_entries_have_versions(pool, &mut report).await?;
    check_accounts(pool, &mut report).await?;
    check_stored_checkpoints(pool, &keys, &mut report).await?;
    if let Some(jws) = outside {
        check_outside_checkpoint(pool, &keys, jws, &mut report).await?;
    }
    Ok(report)
}

async fn walk_chain(pool: &AnyPool, keys: &DeskKeys, report: &mut Report) -> anyhow::Result<()> {
    let mut previous_hash = GENESIS.to_string();
    let mut expected = 1;
    let mut after = 0;
    // The latest time the chain has reached (see the module comment, point 2).
    let mut reached: Option<OffsetDateTime> = None;
    let mut before_revocation: Vec<SignedBeforeRevocation> = Vec::new();
    loop {
        let entries = log::page(pool, after, ENTRY_PAGE).await?;
        let Some(last) = entries.last() else {
            break;
        };
        after = last.seq;
        for entry in entries {
            report.entries += 1;
            if entry.seq != expected {
                report.add(Problem {
                    seq: Some(expected),
                    reference: None,
                    version: None,
                    what: Finding::Entry(Broken::Missing { found: entry.seq }),
                });
            } else if entry.prev_hash != previous_hash {
                report.at_entry(
                    &entry,
                    Finding::Entry(Broken::PrevLink {
                        previous: expected - 1,
                    }),
                );
            }
            if entry.computed_hash() != entry.entry_hash {
                report.at_entry(&entry, Finding::Entry(Broken::Hash));
            }
            match OffsetDateTime::parse(&entry.created_at, &Rfc3339) {
                Ok(at) => reached = Some(reached.map_or(at, |reached| reached.max(at))),
                Err(_) => report.at_entry(&entry, Finding::EntryTime),
            }
            let kind = Kind::parse(&entry.kind);
            match kind {
                Some(Kind::Decision) => report.decisions += 1,
                Some(Kind::Implementation) => report.implementations += 1,
                Some(Kind::SecretPurged) => report.secret_purges += 1,
                Some(Kind::ApplicationStep) => report.application_steps += 1,
                Some(Kind::AccountChange) => report.account_changes += 1,
                Some(Kind::RegistrationRecord) => report.records += 1,
                None => {
                    report.at_entry(
                        &entry,
                        Finding::Entry(Broken::UnknownKind(entry.kind.clone())),
                    );
                }
            }
            let typ = kind.map_or(signing::jws::TYP, Kind::typ);
            match keys.verify(&entry.jws, typ, reached) {
                Ok((claims, revoked)) => {
                    if let Some((kid, revoked_at)) = revoked {
                        note_before_revocation(&mut before_revocation, kid, revoked_at, entry.seq);
                    }
                    for what in check_claims(&entry, &claims) {
                        report.at_entry(&entry, what);
                    }
                }
                Err(what) => report.at_entry(&entry, what),
            }
            previous_hash = entry.entry_hash;
            expected = entry.seq + 1;
        }
    }
    report.revoked_before = before_revocation;
    Ok(())
}

fn note_before_revocation(
    notices: &mut Vec<SignedBeforeRevocation>,
    kid: String,
    revoked_at: String,
    seq: i64,
) {
    match notices.iter_mut().find(|notice| notice.kid == kid) {
        Some(notice) => {
            notice.last = seq;
            notice.count += 1;
        }
        None => notices.push(SignedBeforeRevocation {
            kid,
            revoked_at,
            first: seq,
            last: seq,
            count: 1,
        }),
    }
}

/// What an entry's claims must say about the entry itself.
fn check_claims(entry: &LogEntry, claims: &Value) -> Vec<Finding> {
    let mut found = Vec::new();
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let version = claims.get("version").and_then(Value::as_i64);
    if entry.kind == Kind::Decision.as_str() {
        if text("reference") != Some(entry.reference.as_str()) || version != Some(entry.version) {
            found.push(Finding::Entry(Broken::DecisionTarget));
        }
        let jti = text("jti").unwrap_or("");
        if decision_number(jti, &entry.reference, entry.version).is_none() {
            found.push(Finding::DecisionJti(jti.to_string()));
        }
    } else if entry.kind == Kind::Implementation.as_str()
        || entry.kind == Kind::SecretPurged.as_str()
        || entry.kind == Kind::ApplicationStep.as_str()
        || entry.kind == Kind::AccountChange.as_str()
    {
        if let Some(what) =
            Kind::parse(&entry.kind).and_then(|kind| log::target_problem(entry, kind, claims))
        {
            found.push(Finding::Entry(what));
        }
    } else {
        let jti = text("jti").unwrap_or("");
        if jti != entry.reference {
            found.push(Finding::Entry(Broken::Reference {
                jti: jti.to_string(),
            }));
        }
        if version != Some(entry.version) {
            found.push(Finding::RecordVersion {
                claimed: version,
                entry: entry.version,
            });
        }
    }
    found
}

/// `n` of a decision's jti `REF/vN/decision/n`, when it has that shape for this entry.
fn decision_number(jti: &str, reference: &str, version: i64) -> Option<i64> {
    let rest = jti.strip_prefix(reference)?.strip_prefix("/v")?;
    let (v, rest) = rest.split_once('/')?;
    let n = rest.strip_prefix("decision/")?;
    (v.parse::<i64>().ok()? == version)
        .then(|| n.parse::<i64>().ok())
        .flatten()
        .filter(|n| *n >= 1)
}

/// The payload of a JWS as JSON, without checking its signature (the chain walk did).
pub(crate) fn claims_of(jws: &str) -> Option<Value> {
    use base64::Engine as _;
    let payload = jws.trim().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A stored version, as the check needs it.
struct StoredVersion {
    reference: String,
    version: i64,
    status: String,
    ods_code: String,
    application_name: String,
    risk: String,
    request_json: String,
    submitted_at: String,
    submitted_by_email: Option<String>,
    purpose: Option<String>,
}

/// A stored decision row.
struct DecisionRow {
    reference: String,
    version: i64,
    n: i64,
    decision: String,
    reason: Option<String>,
    reviewer_email: String,
    status_after: String,
    log_seq: i64,
}

/// A stored `implementation` row.
struct ImplementationRow {
    reference: String,
    version: i64,
    application_id: String,
    object_id: String,
    tenant_id: String,
    log_seq: i64,
}

/// A log entry of a reference, as the check needs it.
struct RefEntry {
    seq: i64,
    kind: String,
    reference: String,
    version: i64,
    jws: String,
}

async fn check_requests(pool: &AnyPool, report: &mut Report) -> anyhow::Result<()> {
    let mut after = String::new();
    loop {
        let references: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT reference FROM registration_request WHERE reference > $1
             ORDER BY reference LIMIT $2",
        )
        .bind(&after)
        .bind(REFERENCE_PAGE)
        .fetch_all(pool)
        .await?;
        let (Some(first), Some(last)) = (references.first(), references.last()) else {
            return Ok(());
        };
        let versions = sqlx::query(
            "SELECT reference, version, status, ods_code, application_name, risk, request_json,
                    submitted_at, submitted_by_email, purpose
             FROM registration_request WHERE reference BETWEEN $1 AND $2 ORDER BY reference, version",
        )
        .bind(first)
        .bind(last)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(StoredVersion {
                reference: row.try_get("reference")?,
                version: row.try_get("version")?,
                status: row.try_get("status")?,
                ods_code: row.try_get("ods_code")?,
                application_name: row.try_get("application_name")?,
                risk: row.try_get("risk")?,
                request_json: row.try_get("request_json")?,
                submitted_at: row.try_get("submitted_at")?,
                submitted_by_email: row.try_get("submitted_by_email")?,
                purpose: row.try_get("purpose")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
        let entries = sqlx::query(
            "SELECT seq, kind, reference, version, jws FROM log_entry
             WHERE reference BETWEEN $1 AND $2 ORDER BY reference, seq",
        )
        .bind(first)
        .bind(last)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(RefEntry {
                seq: row.try_get("seq")?,
                kind: row.try_get("kind")?,
                reference: row.try_get("reference")?,
                version: row.try_get("version")?,
                jws: row.try_get("jws")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
        let rows = sqlx::query(
            "SELECT reference, version, n, decision, reason, reviewer_email, status_after, log_seq
             FROM decision WHERE reference BETWEEN $1 AND $2 ORDER BY reference, version, n",
        )
        .bind(first)
        .bind(last)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(DecisionRow {
                reference: row.try_get("reference")?,
                version: row.try_get("version")?,
                n: row.try_get("n")?,
                decision: row.try_get("decision")?,
                reason: row.try_get("reason")?,
                reviewer_email: row.try_get("reviewer_email")?,
                status_after: row.try_get("status_after")?,
                log_seq: row.try_get("log_seq")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
        let implementations = sqlx::query(
            "SELECT reference, version, application_id, object_id, tenant_id, log_seq
             FROM implementation WHERE reference BETWEEN $1 AND $2",
        )
        .bind(first)
        .bind(last)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(ImplementationRow {
                reference: row.try_get("reference")?,
                version: row.try_get("version")?,
                application_id: row.try_get("application_id")?,
                object_id: row.try_get("object_id")?,
                tenant_id: row.try_get("tenant_id")?,
                log_seq: row.try_get("log_seq")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
        let steps = application_steps::between(pool, first, last).await?;
        for reference in &references {
            let implementation = implementations
                .iter()
                .find(|row| &row.reference == reference);
            let steps: Vec<&StoredStep> = steps
                .iter()
                .filter(|step| &step.reference == reference)
                .collect();
            let versions: Vec<&StoredVersion> = versions
                .iter()
                .filter(|v| &v.reference == reference)
                .collect();
            let entries: Vec<&RefEntry> = entries
                .iter()
                .filter(|e| &e.reference == reference)
                .collect();
            let rows: Vec<&DecisionRow> =
                rows.iter().filter(|r| &r.reference == reference).collect();
            report.requests += 1;
            report.versions += versions.len() as i64;
            check_request(&versions, &entries, &rows, implementation, &steps, report);
        }
        after.clone_from(last);
    }
}

/// Checks one request: every stored version against its record and decisions.
fn check_request(
    versions: &[&StoredVersion],
    entries: &[&RefEntry],
    rows: &[&DecisionRow],
    implementation: Option<&ImplementationRow>,
    steps: &[&StoredStep],
    report: &mut Report,
) {
    let mut step_matched = vec![false; steps.len()];
    let mut row_matched = vec![false; rows.len()];
    let mut previous_status: Option<String> = None;
    // The recomputed status of each version so far: a renewal or change made later supersedes
    // the live version before it, so each is compared with what is stored once all are known.
    let mut recomputed: Vec<String> = Vec::with_capacity(versions.len());
    // The version last made in the tenant (an implementation entry), as an index of `versions`.
    let mut implemented: Option<usize> = None;
    // The implementation row stands for the last implementation entry of the request.
    let last_implementation = entries
        .iter()
        .filter(|e| e.kind == Kind::Implementation.as_str())
        .map(|e| e.seq)
        .max();
    for (index, stored) in versions.iter().enumerate() {
        let about = |seq: Option<i64>, what: Finding| Problem {
            seq,
            reference: Some(stored.reference.clone()),
            version: Some(stored.version),
            what,
        };
        // A next version answers "changes requested", or renews or changes the application
        // once a version of it was made in the tenant.
        if let Some(previous) = previous_status.take()
            && previous != Status::ChangesRequested.as_str()
            && implemented.is_none()
        {
            report.add(about(None, Finding::VersionOutOfTurn { previous }));
        }
        let records: Vec<&&RefEntry> = entries
            .iter()
            .filter(|e| e.version == stored.version && e.kind == Kind::RegistrationRecord.as_str())
            .collect();
        if records.len() > 1 {
            report.add(about(
                None,
                Finding::DuplicateRecord {
                    seqs: records.iter().map(|e| e.seq).collect(),
                },
            ));
        }
        match records.last() {
            None => report.add(about(None, Finding::NoRecord)),
            Some(record) => {
                if let Some(claims) = claims_of(&record.jws) {
                    let fields = differing_fields(stored, &claims);
                    if !fields.is_empty() {
                        report.add(about(
                            Some(record.seq),
                            Finding::StoredRequestDiffers { fields },
                        ));
                    }
                }
            }
        }
        let mut status = Status::Submitted.as_str().to_string();
        let mut first_approver: Option<String> = None;
        for entry in entries
            .iter()
            .filter(|e| e.version == stored.version && e.kind == Kind::Decision.as_str())
        {
            let Some(claims) = claims_of(&entry.jws) else {
                continue; // the chain walk reported it
            };
            let text = |name: &str| {
                claims
                    .get(name)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let record = records.iter().rev().find(|record| record.seq < entry.seq);
            match record {
                None => report.add(about(Some(entry.seq), Finding::DecisionWithoutRecord)),
                Some(record) => {
                    if text("record_sha256") != log::sha256_hex(record.jws.as_bytes()) {
                        report.add(about(
                            Some(entry.seq),
                            Finding::DecisionRecordHash {
                                version: stored.version,
                            },
                        ));
                    }
                }
            }
            let decision = text("decision");
            let claimed = text("status");
            let reviewer = text("reviewer");
            let awaiting = status == Status::Submitted.as_str()
                || status == Status::AwaitingSecondApproval.as_str();
            if !awaiting {
                report.add(about(
                    Some(entry.seq),
                    Finding::DecisionOutOfTurn {
                        before: status.clone(),
                    },
                ));
            } else if !legal_outcome(&decision, &status, &claimed) {
                report.add(about(
                    Some(entry.seq),
                    Finding::DecisionStatus {
                        decision: decision.clone(),
                        before: status.clone(),
                        claimed: claimed.clone(),
                    },
                ));
            }
            if decision == Decision::Approve.as_str() {
                if status == Status::AwaitingSecondApproval.as_str()
                    && first_approver.as_deref() == Some(reviewer.as_str())
                {
                    report.add(about(
                        Some(entry.seq),
                        Finding::SecondApprovalBySameReviewer,
                    ));
                }
                first_approver.get_or_insert(reviewer.clone());
            }
            // The row the pages show for this decision.
            let n = decision_number(&text("jti"), &stored.reference, stored.version);
            let row = n.and_then(|n| {
                rows.iter()
                    .position(|row| row.version == stored.version && row.n == n)
            });
            match (n, row) {
                (Some(n), None) => {
                    report.add(about(Some(entry.seq), Finding::DecisionWithoutRow { n }));
                }
                (Some(n), Some(index)) => {
                    row_matched[index] = true;
                    let row = rows[index];
                    let mut fields = Vec::new();
                    if row.decision != decision {
                        fields.push("decision");
                    }
                    if row.reason.as_deref() != claims.get("reason").and_then(Value::as_str) {
                        fields.push("reason");
                    }
                    if row.status_after != claimed {
                        fields.push("status_after");
                    }
                    if row.reviewer_email != reviewer {
                        fields.push("reviewer_email");
                    }
                    if row.log_seq != entry.seq {
                        fields.push("log_seq");
                    }
                    if !fields.is_empty() {
                        report.add(about(
                            Some(entry.seq),
                            Finding::DecisionRowDiffers { n, fields },
                        ));
                    }
                }
                (None, _) => {} // the chain walk reported the jti
            }
            if Status::parse(&claimed).is_some() {
                status = claimed;
            }
        }
        for entry in entries
            .iter()
            .filter(|e| e.version == stored.version && e.kind == Kind::Implementation.as_str())
        {
            let Some(claims) = claims_of(&entry.jws) else {
                continue; // the chain walk reported it
            };
            let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");
            if status != Status::Approved.as_str() {
                report.add(about(
                    Some(entry.seq),
                    Finding::ImplementationOutOfTurn {
                        before: status.clone(),
                    },
                ));
            }
            let record = records.iter().rev().find(|record| record.seq < entry.seq);
            if record.is_none_or(|record| {
                text("record_sha256") != log::sha256_hex(record.jws.as_bytes())
            }) {
                report.add(about(Some(entry.seq), Finding::ImplementationRecordHash));
            }
            // A renewal or change supersedes the version made before it, which must be live.
            let supersedes = claims.get("supersedes_version").and_then(Value::as_i64);
            match implemented {
                Some(live) => {
                    let live_version = versions[live].version;
                    if recomputed[live] != Status::Live.as_str() || supersedes != Some(live_version)
                    {
                        report.add(about(
                            Some(entry.seq),
                            Finding::SupersededOutOfTurn {
                                live_version: Some(live_version),
                                status: recomputed[live].clone(),
                            },
                        ));
                    }
                    recomputed[live] = Status::Superseded.as_str().to_string();
                }
                None if supersedes.is_some() => report.add(about(
                    Some(entry.seq),
                    Finding::SupersededOutOfTurn {
                        live_version: None,
                        status: String::new(),
                    },
                )),
                None => {}
            }
            implemented = Some(index);
            let fields = match implementation {
                // An earlier implementation entry: the row moved on to a later one.
                _ if Some(entry.seq) != last_implementation => Vec::new(),
                None => vec!["row"],
                Some(row) => {
                    let mut fields = Vec::new();
                    if row.version != stored.version {
                        fields.push("version");
                    }
                    if row.application_id != text("application_id") {
                        fields.push("application_id");
                    }
                    if row.object_id != text("object_id") {
                        fields.push("object_id");
                    }
                    if row.tenant_id != text("tenant_id") {
                        fields.push("tenant_id");
                    }
                    if row.log_seq != entry.seq {
                        fields.push("log_seq");
                    }
                    fields
                }
            };
            if !fields.is_empty() {
                report.add(about(
                    Some(entry.seq),
                    Finding::ImplementationRowDiffers { fields },
                ));
            }
            status = Status::Live.as_str().to_string();
        }
        check_steps(
            stored,
            entries,
            steps,
            &mut step_matched,
            &mut status,
            report,
        );
        recomputed.push(status.clone());
        previous_status = Some(status);
    }
    for (stored, status) in versions.iter().zip(recomputed) {
        if stored.status != status {
            report.add(Problem {
                seq: None,
                reference: Some(stored.reference.clone()),
                version: Some(stored.version),
                what: Finding::StatusMismatch {
                    stored: stored.status.clone(),
                    recomputed: status,
                },
            });
        }
    }
    for (row, matched) in steps.iter().zip(step_matched) {
        if !matched {
            report.add(Problem {
                seq: None,
                reference: Some(row.reference.clone()),
                version: Some(row.version),
                what: Finding::StepRowWithoutEntry {
                    n: row.n,
                    log_seq: row.log_seq,
                },
            });
        }
    }
    for (row, matched) in rows.iter().zip(row_matched) {
        if !matched {
            report.add(Problem {
                seq: None,
                reference: Some(row.reference.clone()),
                version: Some(row.version),
                what: Finding::DecisionRowWithoutEntry {
                    n: row.n,
                    log_seq: row.log_seq,
                },
            });
        }
    }
}

/// The deletion and recovery steps of `stored` (signed `application_step` entries), each a legal
/// step from the status before it (the rules' [`Step::after`]), each matching its row; `status`
/// moves on with them.
fn check_steps(
    stored: &StoredVersion,
    entries: &[&RefEntry],
    steps: &[&StoredStep],
    step_matched: &mut [bool],
    status: &mut String,
    report: &mut Report,
) {
    let about = |seq: i64, what: Finding| Problem {
        seq: Some(seq),
        reference: Some(stored.reference.clone()),
        version: Some(stored.version),
        what,
    };
    for entry in entries
        .iter()
        .filter(|e| e.version == stored.version && e.kind == Kind::ApplicationStep.as_str())
    {
        let Some(claims) = claims_of(&entry.jws) else {
            continue; // the chain walk reported it
        };
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        let n = claims.get("n").and_then(Value::as_i64).unwrap_or(0);
        let step_name = text("step").unwrap_or("").to_string();
        let step = Step::parse(&step_name);
        let follows = step
            .zip(Status::parse(status))
            .and_then(|(step, before)| step.after(before));
        match follows {
            Some(after)
                if text("status") == Some(after.as_str())
                    && text("status_before") == Some(status.as_str()) =>
            {
                *status = after.as_str().to_string();
            }
            _ => {
                report.add(about(
                    entry.seq,
                    Finding::StepOutOfTurn {
                        n,
                        step: step_name.clone(),
                        before: status.clone(),
                    },
                ));
                if let Some(claimed) =
                    text("status").filter(|claimed| Status::parse(claimed).is_some())
                {
                    *status = claimed.to_string();
                }
            }
        }
        let fields = match steps.iter().position(|row| row.n == n) {
            None => vec!["row"],
            Some(index) => {
                step_matched[index] = true;
                let row = steps[index];
                let mut fields = Vec::new();
                if row.step.as_str() != step_name {
                    fields.push("step");
                }
                if row.reason.as_deref() != text("reason") {
                    fields.push("reason");
                }
                if row.actor_email.as_deref() != text("actor") {
                    fields.push("actor_email");
                }
                if Some(row.status_after.as_str()) != text("status") {
                    fields.push("status_after");
                }
                if row.log_seq != entry.seq {
                    fields.push("log_seq");
                }
                fields
            }
        };
        if !fields.is_empty() {
            report.add(about(entry.seq, Finding::StepRowDiffers { n, fields }));
        }
    }
}

/// Whether `decision` on a version in status `before` can sign status `after` (the review
/// rules' steps; which approval needs a second one is the rules' call at the time, so both
/// outcomes of a first approval are legal).
fn legal_outcome(decision: &str, before: &str, after: &str) -> bool {
    let submitted = before == Status::Submitted.as_str();
    match Decision::parse(decision) {
        Some(Decision::Approve) => {
            after == Status::Approved.as_str()
                || (submitted && after == Status::AwaitingSecondApproval.as_str())
        }
        Some(Decision::Reject) => after == Status::Rejected.as_str(),
        Some(Decision::RequestChanges) => after == Status::ChangesRequested.as_str(),
        None => false,
    }
}

/// The record's claims copied from the request that the stored version no longer matches
/// (claims the rules derive, such as permissions' ids, are not compared: rules change).
fn differing_fields(stored: &StoredVersion, claims: &Value) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let Ok(request) = registration::RegistrationRequest::from_json(&stored.request_json) else {
        return vec!["request_json (not readable)"];
    };
    let claim = |name: &str| normalised(claims.get(name));
    let mut compare = |name: &'static str, expected: Value| {
        if claim(name) != normalised(Some(&expected)) {
            fields.push(name);
        }
    };
    compare("version", json!(stored.version));
    compare("client_name", json!(request.application.name));
    if request.application.name != stored.application_name {
        compare("client_name", json!(stored.application_name));
    }
    compare("description", json!(request.application.description));
    compare("supplier", json!(request.application.supplier));
    compare("access_type", json!(request.access_type));
    compare("mailboxes", json!(request.mailboxes));
    compare(
        "redirect_uris",
        json!(
            request
                .redirect_uris
                .iter()
                .map(|r| &r.uri)
                .collect::<Vec<_>>()
        ),
    );
    compare(
        "contacts",
        json!(
            request
                .contacts
                .iter()
                .map(|c| &c.email)
                .collect::<Vec<_>>()
        ),
    );
    compare("token_endpoint_uris", json!(request.token_endpoint_uris));
    compare(
        "access_policy_group",
        json!(request.access_policy_group_given().map(str::trim)),
    );
    compare(
        "client_secret_lifetime_months",
        json!(request.client_secret.map(|s| s.lifetime_months)),
    );
    compare("risk", json!(stored.risk));
    compare("purpose", json!(stored.purpose));
    if let Some(email) = &stored.submitted_by_email {
        compare("submitted_by", json!(email));
    }
    if let Ok(at) = OffsetDateTime::parse(&stored.submitted_at, &Rfc3339) {
        compare("iat", json!(at.unix_timestamp()));
    }
    let ods = claims.get("ods_code").and_then(Value::as_str).unwrap_or("");
    if !ods.eq_ignore_ascii_case(&stored.ods_code) {
        fields.push("ods_code");
    }
    fields.dedup();
    fields
}

/// Missing, null and empty lists are the same absence.
fn normalised(value: Option<&Value>) -> Value {
    match value {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Array(items)) if items.is_empty() => Value::Null,
        Some(value) => value.clone(),
    }
}

/// Entries that name a version that is not stored (bounded: the first [`MAX_PROBLEMS`]).
/// Every account against its last signed change: role, organisation and whether it is
/// disabled. An account with no signed change was made before changes were signed (a notice).
async fn check_accounts(pool: &AnyPool, report: &mut Report) -> anyhow::Result<()> {
    for user in crate::store::users::list(pool).await? {
        report.accounts += 1;
        let last: Option<String> = sqlx::query_scalar(
            "SELECT jws FROM log_entry WHERE kind = 'account_change' AND reference = $1
             ORDER BY seq DESC LIMIT 1",
        )
        .bind(format!("{}{}", log::ACCOUNT_PREFIX, user.id))
        .fetch_optional(pool)
        .await?;
        let Some(claims) = last.as_deref().and_then(claims_of) else {
            report.accounts_unrecorded += 1;
            continue;
        };
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        let mut fields = Vec::new();
        if text("role") != Some(user.role.as_str()) {
            fields.push("role");
        }
        if text("ods_code") != user.ods_code.as_deref() {
            fields.push("ods_code");
        }
        if claims.get("disabled").and_then(Value::as_bool) != Some(user.disabled_at.is_some()) {
            fields.push("disabled");
        }
        if text("email") != Some(user.email.as_str()) {
            fields.push("email");
        }
        if !fields.is_empty() {
            report.add(Problem {
                seq: None,
                reference: Some(format!("{}{}", log::ACCOUNT_PREFIX, user.id)),
                version: None,
                what: Finding::AccountDiffers {
                    email: user.email,
                    fields,
                },
            });
        }
    }
    Ok(())
}

async fn check_entries_have_versions(pool: &AnyPool, report: &mut Report) -> anyhow::Result<()> {
    let rows = sqlx::query(
        "SELECT seq, reference, version FROM log_entry e
         WHERE e.kind <> 'account_change'
           AND NOT EXISTS (SELECT 1 FROM registration_request r
                           WHERE r.reference = e.reference AND r.version = e.version)
         ORDER BY seq LIMIT $1",
    )
    .bind(i64::try_from(MAX_PROBLEMS).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await?;
    for row in rows {
        report.add(Problem {
            seq: Some(row.try_get("seq")?),
            reference: Some(row.try_get("reference")?),
            version: Some(row.try_get("version")?),
            what: Finding::NoStoredVersion,
        });
    }
    Ok(())
}

async fn check_stored_checkpoints(
    pool: &AnyPool,
    keys: &DeskKeys,
    report: &mut Report,
) -> anyhow::Result<()> {
    let mut after = -1;
    loop {
        let page = checkpoints::page(pool, after, ENTRY_PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.size;
        for checkpoint in page {
            report.checkpoints += 1;
            if let Err(problem) =
                check_checkpoint(pool, keys, &checkpoint.jws, report.entries).await?
            {
                report.add(Problem {
                    seq: Some(checkpoint.size),
                    reference: None,
                    version: None,
                    what: Finding::Checkpoint(problem),
                });
            }
        }
    }
}

async fn check_outside_checkpoint(
    pool: &AnyPool,
    keys: &DeskKeys,
    jws: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    match check_checkpoint(pool, keys, jws, report.entries).await? {
        Ok(checked) => report.checkpoint = Some(checked),
        Err(problem) => report.add(Problem {
            seq: None,
            reference: None,
            version: None,
            what: Finding::Checkpoint(problem),
        }),
    }
    Ok(())
}

/// Checks one checkpoint against the desk's keys and the log (whose length is `entries`).
async fn check_checkpoint(
    pool: &AnyPool,
    keys: &DeskKeys,
    jws: &str,
    entries: i64,
) -> anyhow::Result<Result<CheckedCheckpoint, CheckpointProblem>> {
    let claimed = match checkpoints::claimed(jws) {
        Ok(claimed) => claimed,
        Err(why) => return Ok(Err(CheckpointProblem::Invalid(why))),
    };
    let at = OffsetDateTime::from_unix_timestamp(claimed.iat).ok();
    let kid = match keys.verify(jws, signing::jws::CHECKPOINT_TYP, at) {
        Ok((_, _)) => checkpoints::kid_of(jws).unwrap_or_default(),
        Err(Finding::SignedAfterRevocation { kid, revoked_at }) => {
            return Ok(Err(CheckpointProblem::SignedAfterRevocation {
                kid,
                revoked_at,
            }));
        }
        Err(Finding::Entry(Broken::Signature(error))) => {
            return Ok(Err(CheckpointProblem::Invalid(error.to_string())));
        }
        Err(other) => return Ok(Err(CheckpointProblem::Invalid(other.to_string()))),
    };
    let found = if claimed.size == 0 {
        Some(GENESIS.to_string())
    } else {
        log::entry_hash(pool, claimed.size).await?
    };
    let checked = CheckedCheckpoint {
        size: claimed.size,
        root: claimed.root.clone(),
        kid,
        issued_at: checkpoints::issued_at(claimed.iat),
    };
    Ok(match found {
        None => Err(CheckpointProblem::Truncated {
            size: claimed.size,
            entries,
        }),
        Some(found) if found != claimed.root => Err(CheckpointProblem::Fork {
            size: claimed.size,
            signed: claimed.root,
            found,
        }),
        Some(_) => Ok(checked),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_decision_number_from_its_jti() {
        assert_eq!(
            decision_number("AR-2222-2222/v3/decision/2", "AR-2222-2222", 3),
            Some(2)
        );
        assert_eq!(
            decision_number("AR-2222-2222/v3/decision/2", "AR-2222-2222", 2),
            None
        );
        assert_eq!(
            decision_number("AR-2222-2223/v3/decision/2", "AR-2222-2222", 3),
            None
        );
        assert_eq!(
            decision_number("AR-2222-2222/v3/decision/0", "AR-2222-2222", 3),
            None
        );
        assert_eq!(
            decision_number("AR-2222-2222/v3/x/1", "AR-2222-2222", 3),
            None
        );
    }

    #[test]
    fn each_decision_leads_only_to_its_own_statuses() {
        assert!(legal_outcome("approve", "submitted", "approved"));
        assert!(legal_outcome(
            "approve",
            "submitted",
            "awaiting_second_approval"
        ));
        assert!(legal_outcome(
            "approve",
            "awaiting_second_approval",
            "approved"
        ));
        assert!(!legal_outcome(
            "approve",
            "awaiting_second_approval",
            "awaiting_second_approval"
        ));
        assert!(!legal_outcome("reject", "submitted", "approved"));
        assert!(legal_outcome(
            "request_changes",
            "submitted",
            "changes_requested"
        ));
        assert!(!legal_outcome("shrug", "submitted", "approved"));
    }
}
