//! The two migration sets (server/migrations for SQLite, server/migrations-postgres) stay in
//! step: the same versions with the same names, the same text wherever the dialects agree, and,
//! on a PostgreSQL run, the same tables, columns and indexes as SQLite makes.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{TestApp, on_postgres};

/// The PostgreSQL files whose text differs, each for a reason its header gives.
const DIALECT_FILES: [&str; 7] = [
    "0008_directory_groups.sql",
    "0009_implementations_and_secrets.sql",
    "0011_deletion_and_recovery.sql",
    "0012_renewal_and_change.sql",
    "0013_queue_at_scale.sql",
    "0015_withdrawal.sql",
    "0019_desk_admin_role.sql",
];

fn files(set: &str) -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(set);
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            (
                path.file_name().unwrap().to_str().unwrap().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect()
}

#[test]
fn both_sets_have_the_same_migrations_and_the_same_text_where_the_dialects_agree() {
    let sqlite = files("migrations");
    let postgres = files("migrations-postgres");
    assert_eq!(
        sqlite.keys().collect::<Vec<_>>(),
        postgres.keys().collect::<Vec<_>>(),
        "a migration added to one set must be added to the other, with the same version and name"
    );
    for (name, text) in &sqlite {
        let other = &postgres[name];
        if DIALECT_FILES.contains(&name.as_str()) {
            assert_ne!(text, other, "{name} is listed as differing but does not");
            assert!(
                other.starts_with(&format!("-- PostgreSQL's version of migrations/{name}")),
                "{name}: the PostgreSQL file's header says what differs"
            );
        } else {
            assert_eq!(
                text, other,
                "{name} differs: make it the same, or list it with why"
            );
        }
    }
}

/// Table → its columns, and the names of the indexes, as the database describes them.
async fn shape(pool: &sqlx::AnyPool) -> (BTreeMap<String, Vec<String>>, Vec<String>) {
    let (columns_query, indexes_query) = if on_postgres() {
        (
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'
             ORDER BY table_name, column_name",
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema()
               AND tablename <> '_sqlx_migrations'
               AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'
             ORDER BY indexname",
        )
    } else {
        (
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'
             ORDER BY m.name, p.name",
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
             ORDER BY name",
        )
    };
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let rows: Vec<(String, String)> = sqlx::query_as(columns_query).fetch_all(pool).await.unwrap();
    for (table, column) in rows {
        tables.entry(table).or_default().push(column);
    }
    let indexes: Vec<String> = sqlx::query_scalar(indexes_query)
        .fetch_all(pool)
        .await
        .unwrap();
    (tables, indexes)
}

#[tokio::test]
async fn both_sets_make_the_same_tables_columns_and_indexes() {
    let app = TestApp::new().await;
    let (tables, indexes) = shape(&app.state.pool).await;
    // The shape SQLite makes, written down: a migration that changes it changes this list, and
    // the PostgreSQL run then checks that its set made the same.
    let expected = include_str!("migrations_shape.txt");
    let mut described = String::new();
    for (table, columns) in &tables {
        // PostgreSQL's stand-in for SQLite's implicit rowid (see its 0009).
        let columns: Vec<&str> = columns
            .iter()
            .map(String::as_str)
            .filter(|column| !(table == "client_secret" && *column == "rowid"))
            .collect();
        described.push_str(&format!("table {table}: {}\n", columns.join(", ")));
    }
    for index in &indexes {
        described.push_str(&format!("index {index}\n"));
    }
    assert_eq!(
        described, expected,
        "the shape of the database changed:\n{described}"
    );
}
