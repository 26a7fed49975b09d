//! docs/findings.md is generated from the code declarations and must not drift from them.

#[test]
fn the_findings_catalogue_in_docs_is_current() {
    let committed = include_str!("../../../docs/findings.md");
    let generated = registration::findings::catalogue_markdown();
    assert!(
        committed == generated,
        "docs/findings.md is stale: run `cargo run -p server -- findings > docs/findings.md`"
    );
}
