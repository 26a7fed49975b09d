//! Submitted registration requests: every version, under a reference that is easy to read aloud.

use crate::store::timestamp;
use registration::rules::permission::Risk;
use registration::{RegistrationRequest, ValidationReport};
use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

/// The characters of a reference: digits and capitals without 0, 1, I, L, O and U, so that
/// a reference read aloud on the phone cannot be misheard or mistyped.
pub const REFERENCE_ALPHABET: &[u8; 30] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

pub use registration::change::Purpose;
pub use registration::lifecycle::Status;

/// One stored version of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRegistration {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// 1 for the first submission.
    pub version: i64,
    /// The status of this version.
    pub status: Status,
    /// The requesting organisation's ODS code as submitted.
    pub ods_code: String,
    /// The organisation's name when the directory knew it.
    pub organisation_name: Option<String>,
    /// The application's display name.
    pub application_name: String,
    /// `low` or `high`.
    pub risk: Risk,
    /// The request exactly as submitted.
    pub request: RegistrationRequest,
    /// The validator's report at submission.
    pub report: ValidationReport,
    /// When it was submitted (RFC 3339).
    pub submitted_at: String,
    /// The account that submitted it (`None` before sign-in existed).
    pub submitted_by: Option<String>,
    /// That account's email at the time.
    pub submitted_by_email: Option<String>,
    /// Why a registered application's next version was asked for (a renewal or a change);
    /// `None` for a new request and its resubmissions.
    pub purpose: Option<Purpose>,
}

/// Who submitted a version.
#[derive(Debug, Clone, Copy)]
pub struct Submitter<'a> {
    /// The account's id.
    pub user_id: &'a str,
    /// The account's email (the signed record names it).
    pub email: &'a str,
}

/// One request in a list: its latest version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Summary {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// The latest version.
    pub version: i64,
    /// Its status.
    pub status: Status,
    /// The organisation's ODS code.
    pub ods_code: String,
    /// The organisation's name when known.
    pub organisation_name: Option<String>,
    /// The application's name.
    pub application_name: String,
    /// When the latest version was submitted (RFC 3339).
    pub submitted_at: String,
    /// `low` or `high`.
    pub risk: Risk,
}

/// Which requests a list shows. Every field narrows; `None` does not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this organisation (upper case).
    pub ods_code: Option<String>,
    /// Only this risk.
    pub risk: Option<Risk>,
    /// Only requests where this text appears (any letter case) in the reference, the
    /// application's name or supplier, a mailbox, the organisation's ODS code or name: the
    /// queue's search (`q=`), bounded by `app::backend::review::SEARCH_MAX_CHARS`.
    pub text: Option<String>,
    /// Only requests awaiting a reviewer (`Status::is_awaiting_reviewer`: a decision on a
    /// version, or the answer to a deletion or recovery the organisation asked for): the review
    /// queue's default.
    pub awaiting_decision: bool,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The page number, from 1.
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
    /// Items on all pages.
    pub total: u64,
}

/// How many requests a page of a list holds.
pub const PER_PAGE: u32 = 50;

/// The LIKE pattern that finds `text` anywhere, in lower case, its `%`, `_` and `\` matched as
/// themselves (`ESCAPE '\'`).
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The search term over one request row `r` for the pattern bound as `$n`: the columns, the
/// supplier and every mailbox from the stored request (each dialect reads JSON its own way).
fn search_term(backend: super::Backend, n: usize) -> String {
    let like = |expression: &str| format!("lower({expression}) LIKE ${n} ESCAPE '\\'");
    let (supplier, mailboxes) = match backend {
        super::Backend::Sqlite => (
            "json_extract(r.request_json, '$.application.supplier')",
            "SELECT m.value FROM json_each(r.request_json, '$.mailboxes') m",
        ),
        super::Backend::Postgres => (
            "(r.request_json::jsonb #>> '{application,supplier}')",
            "SELECT m.value FROM jsonb_array_elements_text(r.request_json::jsonb -> 'mailboxes') m(value)",
        ),
    };
    format!(
        "({} OR {} OR {} OR {} OR {} OR EXISTS (SELECT 1 FROM ({mailboxes}) mailbox WHERE {}))",
        like("r.reference"),
        like("r.application_name"),
        like("r.ods_code"),
        like("coalesce(r.organisation_name, '')"),
        like(&format!("coalesce({supplier}, '')")),
        like("mailbox.value"),
    )
}

/// A new random reference `AR-XXXX-XXXX` (8 characters of 30: about 39 bits).
pub fn new_reference() -> anyhow::Result<String> {
    let mut chars = Vec::with_capacity(8);
    let mut bytes = [0u8; 16];
    while chars.len() < 8 {
        getrandom::fill(&mut bytes)
            .map_err(|error| anyhow::anyhow!("no randomness for a reference: {error}"))?;
        // Rejection sampling: 240 is the largest multiple of 30 under 256, so every character
        // is equally likely.
        chars.extend(
            bytes
                .iter()
                .filter(|&&b| b < 240)
                .map(|&b| REFERENCE_ALPHABET[usize::from(b % 30)] as char)
                .take(8 - chars.len()),
        );
    }
    let text: String = chars.into_iter().collect();
    Ok(format!("AR-{}-{}", &text[..4], &text[4..]))
}

/// True when `text` has the shape of a reference.
pub fn is_reference(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 12
        && text.starts_with("AR-")
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .filter(|&(i, _)| i >= 3 && i != 7)
            .all(|(_, b)| REFERENCE_ALPHABET.contains(b))
}

/// The stored and JSON name of a risk.
pub fn risk_text(risk: Risk) -> &'static str {
    match risk {
        Risk::Low => "low",
        Risk::High => "high",
    }
}

/// Reads a stored or typed risk name.
pub fn parse_risk(text: &str) -> Option<Risk> {
    match text {
        "low" => Some(Risk::Low),
        "high" => Some(Risk::High),
        _ => None,
    }
}

/// Why a version was not inserted.
#[derive(Debug)]
pub enum InsertError {
    /// The (reference, version) pair is taken.
    Taken,
    /// Anything else.
    Other(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for InsertError {
    fn from(error: E) -> Self {
        InsertError::Other(error.into())
    }
}

/// A version as stored, less its reference and number: what a submission inserts.
#[derive(Debug, Clone)]
pub struct VersionRow {
    ods_code: String,
    organisation_name: Option<String>,
    application_name: String,
    risk: Risk,
    request_json: String,
    report_json: String,
    submitted_at: String,
    submitted_by: String,
    submitted_by_email: String,
    purpose: Option<Purpose>,
}

impl VersionRow {
    /// The row of `request` as validated (`report`), submitted by `submitter` at `now` (a
    /// renewal or change of a registered application when `purpose` says so).
    pub fn new(
        request: &RegistrationRequest,
        report: &ValidationReport,
        risk: Risk,
        submitter: Submitter<'_>,
        purpose: Option<Purpose>,
        now: OffsetDateTime,
    ) -> anyhow::Result<VersionRow> {
        Ok(VersionRow {
            ods_code: request.ods_code.trim().to_ascii_uppercase(),
            organisation_name: report.organisation.as_ref().map(|org| org.name.clone()),
            application_name: request.application.name.clone(),
            risk,
            request_json: serde_json::to_string(request)?,
            report_json: serde_json::to_string(report)?,
            submitted_at: timestamp(now),
            submitted_by: submitter.user_id.to_string(),
            submitted_by_email: submitter.email.to_string(),
            purpose,
        })
    }
}

/// Inserts `rows` as `submitted` versions (each a reference, a version number and its row) in
/// one statement, skipping any whose reference and version are taken; returns the references
/// inserted. The rest of the statement's rows are stored: the caller draws new references for
/// those skipped.
pub async fn insert_versions(
    connection: &mut AnyConnection,
    rows: &[(&str, i64, &VersionRow)],
) -> anyhow::Result<std::collections::HashSet<String>> {
    if rows.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    let statement = format!(
        "INSERT INTO registration_request (reference, version, status, ods_code, organisation_name,
           application_name, risk, request_json, report_json, submitted_at, submitted_by,
           submitted_by_email, purpose) VALUES {}
         ON CONFLICT (reference, version) DO NOTHING RETURNING reference",
        super::value_rows(connection, rows.len(), 13)
    );
    let mut insert = sqlx::query_scalar(&statement);
    for (reference, version, row) in rows {
        insert = insert
            .bind(*reference)
            .bind(*version)
            .bind(Status::Submitted.as_str())
            .bind(&row.ods_code)
            .bind(&row.organisation_name)
            .bind(&row.application_name)
            .bind(risk_text(row.risk))
            .bind(&row.request_json)
            .bind(&row.report_json)
            .bind(&row.submitted_at)
            .bind(&row.submitted_by)
            .bind(&row.submitted_by_email)
            .bind(row.purpose.map(Purpose::as_str));
    }
    let inserted: Vec<String> = insert
        // One statement per group size: not kept prepared (see `log::insert_entries`).
        .persistent(false)
        .fetch_all(&mut *connection)
        .await?;
    Ok(inserted.into_iter().collect())
}

/// Stores `version` of `reference` with status `submitted` (a renewal or change of a
/// registered application when `purpose` says so), on the caller's connection.
#[expect(
    clippy::too_many_arguments,
    reason = "each is a distinct fact of the version"
)]
pub async fn insert_version(
    connection: &mut AnyConnection,
    reference: &str,
    version: i64,
    request: &RegistrationRequest,
    report: &ValidationReport,
    risk: Risk,
    submitter: Submitter<'_>,
    purpose: Option<Purpose>,
    now: OffsetDateTime,
) -> Result<(), InsertError> {
    let row = VersionRow::new(request, report, risk, submitter, purpose, now)?;
    let inserted = insert_versions(connection, &[(reference, version, &row)]).await?;
    if inserted.contains(reference) {
        Ok(())
    } else {
        Err(InsertError::Taken)
    }
}

/// Sets the status of one version, on the caller's connection.
pub async fn set_status(
    connection: &mut AnyConnection,
    reference: &str,
    version: i64,
    status: Status,
) -> anyhow::Result<()> {
    let result = sqlx::query(
        "UPDATE registration_request SET status = $1 WHERE reference = $2 AND version = $3",
    )
    .bind(status.as_str())
    .bind(reference)
    .bind(version)
    .execute(connection)
    .await?;
    anyhow::ensure!(
        result.rows_affected() == 1,
        "no version {version} of {reference} to update"
    );
    Ok(())
}

const COLUMNS: &str = "reference, version, status, ods_code, organisation_name, application_name,
    risk, request_json, report_json, submitted_at, submitted_by, submitted_by_email, purpose";

fn stored_from_row(row: &sqlx::any::AnyRow) -> anyhow::Result<StoredRegistration> {
    let status: String = row.try_get("status")?;
    let risk: String = row.try_get("risk")?;
    let request_json: String = row.try_get("request_json")?;
    let report_json: String = row.try_get("report_json")?;
    let purpose: Option<String> = row.try_get("purpose")?;
    let purpose = purpose
        .map(|text| {
            Purpose::parse(&text).ok_or_else(|| anyhow::anyhow!("unknown stored purpose '{text}'"))
        })
        .transpose()?;
    Ok(StoredRegistration {
        reference: row.try_get("reference")?,
        version: row.try_get("version")?,
        status: Status::parse(&status)
            .ok_or_else(|| anyhow::anyhow!("unknown stored status '{status}'"))?,
        ods_code: row.try_get("ods_code")?,
        organisation_name: row.try_get("organisation_name")?,
        application_name: row.try_get("application_name")?,
        risk: parse_risk(&risk).ok_or_else(|| anyhow::anyhow!("unknown stored risk '{risk}'"))?,
        request: RegistrationRequest::from_json(&request_json)
            .map_err(|error| anyhow::anyhow!("stored request: {error}"))?,
        report: serde_json::from_str(&report_json)?,
        submitted_at: row.try_get("submitted_at")?,
        submitted_by: row.try_get("submitted_by")?,
        submitted_by_email: row.try_get("submitted_by_email")?,
        purpose,
    })
}

/// The latest version of `reference`, read on the caller's connection (inside its transaction).
pub async fn latest_in(
    connection: &mut AnyConnection,
    reference: &str,
) -> anyhow::Result<Option<StoredRegistration>> {
    if !is_reference(reference) {
        return Ok(None);
    }
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM registration_request WHERE reference = $1 ORDER BY version DESC LIMIT 1"
    ))
    .bind(reference)
    .fetch_optional(connection)
    .await?;
    row.as_ref().map(stored_from_row).transpose()
}

/// The application version of every request (the implemented one once it was created in the
/// tenant, the latest before: see [`application_in`]) whose status is one of `statuses`, of the
/// organisation `ods_code` when given (every organisation otherwise), by application name: all
/// of them (`page` `None`), or page `page` of [`PER_PAGE`] with the total.
pub async fn latest_in_statuses(
    pool: &AnyPool,
    statuses: &[Status],
    ods_code: Option<&str>,
    page: Option<u32>,
) -> anyhow::Result<Page<StoredRegistration>> {
    // The statuses are the rules' constant names, never input.
    let statuses: Vec<String> = statuses
        .iter()
        .map(|status| format!("'{}'", status.as_str()))
        .collect();
    let matching = format!(
        "FROM registration_request r
         WHERE r.version = COALESCE(
                 (SELECT i.version FROM implementation i WHERE i.reference = r.reference),
                 (SELECT MAX(v.version) FROM registration_request v WHERE v.reference = r.reference))
           AND r.status IN ({})
           AND ($1 IS NULL OR r.ods_code = $1)",
        statuses.join(", ")
    );
    let ods_code = ods_code.map(str::to_ascii_uppercase);
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {matching}"))
        .bind(&ods_code)
        .fetch_one(pool)
        .await?;
    let (limit, offset) = match page {
        Some(page) => (
            i64::from(PER_PAGE),
            i64::from(page.max(1) - 1) * i64::from(PER_PAGE),
        ),
        None => (i64::MAX, 0),
    };
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} {matching}
         ORDER BY r.application_name, r.reference
         LIMIT $2 OFFSET $3"
    ))
    .bind(&ods_code)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    Ok(Page {
        items: rows
            .iter()
            .map(stored_from_row)
            .collect::<anyhow::Result<Vec<_>>>()?,
        page: page.unwrap_or(1).max(1),
        per_page: if page.is_some() {
            PER_PAGE
        } else {
            u32::try_from(total).unwrap_or(u32::MAX)
        },
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// The registered application's version of `reference`: the version that was last made in the
/// tenant (the implementation's), whose status is the application's (live, deleted, …) while a
/// renewal or change of it is reviewed as a later version. `None` before it was implemented.
/// Read on the caller's connection (inside its transaction).
pub async fn application_in(
    connection: &mut AnyConnection,
    reference: &str,
) -> anyhow::Result<Option<StoredRegistration>> {
    if !is_reference(reference) {
        return Ok(None);
    }
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM registration_request
         WHERE reference = $1
           AND version = (SELECT version FROM implementation WHERE reference = $1)"
    ))
    .bind(reference)
    .fetch_optional(connection)
    .await?;
    row.as_ref().map(stored_from_row).transpose()
}

/// The references of every live application (a request with a live version), in order.
pub async fn live_references(pool: &AnyPool) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT reference FROM registration_request WHERE status = $1 ORDER BY reference",
    )
    .bind(Status::Live.as_str())
    .fetch_all(pool)
    .await?)
}

/// As [`application_in`], on a connection of the pool.
pub async fn application(
    pool: &AnyPool,
    reference: &str,
) -> anyhow::Result<Option<StoredRegistration>> {
    let mut connection = pool.acquire().await?;
    application_in(&mut connection, reference).await
}

/// The superseded versions of `references` (the versions that were live before a renewal or
/// change was made), oldest first: their credentials stay listed until they expire.
pub async fn superseded_of(
    pool: &AnyPool,
    references: &[String],
) -> anyhow::Result<Vec<StoredRegistration>> {
    let mut versions = Vec::new();
    for chunk in references.chunks(500) {
        let marks = super::placeholders(1, chunk.len());
        let query = format!(
            "SELECT {COLUMNS} FROM registration_request
             WHERE status = '{}' AND reference IN ({marks}) ORDER BY reference, version",
            Status::Superseded.as_str()
        );
        let mut rows = sqlx::query(&query);
        for reference in chunk {
            rows = rows.bind(reference);
        }
        for row in rows.fetch_all(pool).await? {
            versions.push(stored_from_row(&row)?);
        }
    }
    Ok(versions)
}

/// Version `version` of `reference`.
pub async fn version(
    pool: &AnyPool,
    reference: &str,
    version: i64,
) -> anyhow::Result<Option<StoredRegistration>> {
    if !is_reference(reference) {
        return Ok(None);
    }
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM registration_request WHERE reference = $1 AND version = $2"
    ))
    .bind(reference)
    .bind(version)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(stored_from_row).transpose()
}

/// Every version of `reference`, oldest first (empty when there is no such request).
pub async fn versions(pool: &AnyPool, reference: &str) -> anyhow::Result<Vec<StoredRegistration>> {
    if !is_reference(reference) {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM registration_request WHERE reference = $1 ORDER BY version"
    ))
    .bind(reference)
    .fetch_all(pool)
    .await?;
    rows.iter().map(stored_from_row).collect()
}

/// One page of requests (each at its latest version) matching `filter`, oldest submission first
/// (the queue is worked in the order requests arrived).
pub async fn list(pool: &AnyPool, filter: &Filter, page: u32) -> anyhow::Result<Page<Summary>> {
    list_sized(pool, filter, page, PER_PAGE).await
}

/// The most requests one export (`GET /api/v1/registrations` as CSV) holds: beyond, the filters
/// must narrow it (about 10 MB of CSV).
pub const EXPORT_MAX: u32 = 100_000;

/// Every request the filter matches, oldest first, when there are at most `max` (the desk's
/// export uses [`EXPORT_MAX`]); otherwise `Err(how many match)`.
pub async fn export(
    pool: &AnyPool,
    filter: &Filter,
    max: u32,
) -> anyhow::Result<Result<Vec<Summary>, u64>> {
    let all = list_sized(pool, filter, 1, max).await?;
    if all.total > u64::from(max) {
        return Ok(Err(all.total));
    }
    Ok(Ok(all.items))
}

/// Page `page` of the filter's requests, `per_page` a page.
async fn list_sized(
    pool: &AnyPool,
    filter: &Filter,
    page: u32,
    per_page: u32,
) -> anyhow::Result<Page<Summary>> {
    let page = page.max(1);
    // Only the filters given become terms, so that SQLite picks the index that serves them
    // (migration 0013): an ordered scan of the latest versions for the page, an index alone for
    // the total. The values are bound; the statuses awaiting a reviewer are the rules' constant
    // names, never input.
    let mut terms = vec!["r.is_latest = 1".to_string()];
    let mut values: Vec<String> = Vec::new();
    if let Some(status) = filter.status {
        terms.push(format!("r.status = ${}", values.len() + 1));
        values.push(status.as_str().to_string());
    }
    if let Some(ods_code) = &filter.ods_code {
        terms.push(format!("r.ods_code = ${}", values.len() + 1));
        values.push(ods_code.to_ascii_uppercase());
    }
    if let Some(risk) = filter.risk {
        terms.push(format!("r.risk = ${}", values.len() + 1));
        values.push(risk_text(risk).to_string());
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .filter(|text| !text.trim().is_empty())
    {
        terms.push(search_term(super::Backend::of_pool(pool), values.len() + 1));
        values.push(contains_pattern(text));
    }
    let awaiting: Vec<String> = Status::SUBMITTED
        .into_iter()
        .filter(|status| status.is_awaiting_reviewer())
        .map(|status| format!("'{}'", status.as_str()))
        .collect();
    let awaiting = awaiting.join(", ");
    let mut count_terms = terms.clone();
    if filter.awaiting_decision {
        count_terms.push(format!("r.status IN ({awaiting})"));
        // Unary `+` keeps SQLite from answering the page through the status index and sorting
        // every awaiting request: it reads the latest versions in order instead and stops at
        // the page's end (SQLite's documented way to disqualify a term from index use).
        // PostgreSQL has no `+` for text and its planner costs the two ways itself.
        terms.push(match super::Backend::of_pool(pool) {
            super::Backend::Sqlite => format!("+r.status IN ({awaiting})"),
            super::Backend::Postgres => format!("r.status IN ({awaiting})"),
        });
    }
    let count_query = format!(
        "SELECT COUNT(*) FROM registration_request r WHERE {}",
        count_terms.join(" AND ")
    );
    let mut count = sqlx::query_scalar(&count_query);
    for value in &values {
        count = count.bind(value);
    }
    let total: i64 = count.fetch_one(pool).await?;
    // The page's references first, from an index alone, then their rows: a deep page skips its
    // OFFSET over index entries, not table rows (PostgreSQL fetched a table row for each skipped
    // entry: page 500 took 117 ms; docs/performance.md).
    let page_query = format!(
        "SELECT v.reference, v.version, v.status, v.ods_code, v.organisation_name,
                v.application_name, v.submitted_at, v.risk
         FROM (SELECT r.reference, r.submitted_at FROM registration_request r WHERE {}
               ORDER BY r.submitted_at, r.reference
               LIMIT ${} OFFSET ${}) page
         JOIN registration_request v ON v.reference = page.reference AND v.is_latest = 1
         ORDER BY page.submitted_at, page.reference",
        terms.join(" AND "),
        values.len() + 1,
        values.len() + 2
    );
    let mut rows = sqlx::query(&page_query);
    for value in &values {
        rows = rows.bind(value);
    }
    let rows = rows
        .bind(i64::from(per_page))
        .bind(i64::from(page - 1) * i64::from(per_page))
        .fetch_all(pool)
        .await?;
    let items = rows
        .iter()
        .map(summary_of)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Page {
        items,
        page,
        per_page,
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// One of an organisation's other requests, with what it asks for (for the reviewer's
/// "likely duplicate" flags).
#[derive(Debug, Clone)]
pub struct Sibling {
    /// Its list row (latest version).
    pub summary: Summary,
    /// The latest version's request.
    pub request: RegistrationRequest,
}

/// The `limit` most recently submitted requests of `ods_code` other than `except` (each at its
/// latest version, newest first), and how many there are in all.
pub async fn siblings(
    pool: &AnyPool,
    ods_code: &str,
    except: &str,
    limit: u32,
) -> anyhow::Result<(Vec<Sibling>, u64)> {
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM registration_request r
         WHERE r.is_latest = 1 AND r.ods_code = $1 AND r.reference <> $2",
    )
    .bind(ods_code)
    .bind(except)
    .fetch_one(pool)
    .await?;
    let rows = sqlx::query(
        "SELECT r.reference, r.version, r.status, r.ods_code, r.organisation_name,
                r.application_name, r.submitted_at, r.risk, r.request_json
         FROM registration_request r
         WHERE r.is_latest = 1 AND r.ods_code = $1 AND r.reference <> $2
         ORDER BY r.submitted_at DESC, r.reference DESC
         LIMIT $3",
    )
    .bind(ods_code)
    .bind(except)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    let siblings = rows
        .into_iter()
        .map(|row| {
            let request_json: String = row.try_get("request_json")?;
            Ok(Sibling {
                summary: summary_of(&row)?,
                request: RegistrationRequest::from_json(&request_json)
                    .map_err(|error| anyhow::anyhow!("a stored request does not read: {error}"))?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((siblings, u64::try_from(total).unwrap_or(0)))
}

/// A list row read from a query that selects the [`Summary`] columns.
fn summary_of(row: &sqlx::any::AnyRow) -> anyhow::Result<Summary> {
    let status: String = row.try_get("status")?;
    let risk: String = row.try_get("risk")?;
    Ok(Summary {
        reference: row.try_get("reference")?,
        version: row.try_get("version")?,
        status: Status::parse(&status)
            .ok_or_else(|| anyhow::anyhow!("unknown stored status '{status}'"))?,
        ods_code: row.try_get("ods_code")?,
        organisation_name: row.try_get("organisation_name")?,
        application_name: row.try_get("application_name")?,
        submitted_at: row.try_get("submitted_at")?,
        risk: parse_risk(&risk).ok_or_else(|| anyhow::anyhow!("unknown stored risk '{risk}'"))?,
    })
}

/// The latest version of the request with this reference.
pub async fn latest(pool: &AnyPool, reference: &str) -> anyhow::Result<Option<StoredRegistration>> {
    let mut connection = pool.acquire().await?;
    latest_in(&mut connection, reference).await
}

/// Whether the account `user_id` submitted any version of `reference` (the four-eyes rule).
pub async fn submitted_by(
    connection: &mut AnyConnection,
    reference: &str,
    user_id: &str,
) -> anyhow::Result<bool> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM registration_request WHERE reference = $1 AND submitted_by = $2",
    )
    .bind(reference)
    .bind(user_id)
    .fetch_one(connection)
    .await?;
    Ok(count > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_have_the_read_aloud_shape() {
        for _ in 0..200 {
            let reference = new_reference().unwrap();
            assert!(is_reference(&reference), "{reference}");
        }
    }

    #[test]
    fn rejects_other_shapes_as_references() {
        for text in [
            "",
            "AR-0000-0000",
            "AR-ABCD-EFG",
            "ar-abcd-efgh",
            "AR-ABCDXEFGH",
            "AR-ABCD-EFGHJ",
            "AR-ABCD-EFGI",
        ] {
            assert!(!is_reference(text), "{text}");
        }
    }
}
