//! The `appreg` binary as a user runs it.

use std::io::Write;
use std::process::{Command, Stdio};

fn appreg(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_appreg"));
    command
        .current_dir(dir)
        .env_remove("APPREG_CONFIG")
        .env_remove("APPREG_DATABASE_URL")
        .env("APPREG_DATA_DIR", dir.join("data"));
    command
}

fn request_file(dir: &std::path::Path, json: &str) -> std::path::PathBuf {
    let path = dir.join("request.json");
    std::fs::write(&path, json).unwrap();
    path
}

const REQUEST: &str = include_str!("../../../registration/tests/data/delegated_request.json");

#[test]
fn help_lists_the_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let output = appreg(dir.path()).arg("--help").output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    for command in ["serve", "validate", "findings", "directory"] {
        assert!(text.contains(command), "{command} missing from:\n{text}");
    }
}

#[test]
fn validate_exits_0_for_a_valid_request_and_prints_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let file = request_file(dir.path(), REQUEST);
    let output = appreg(dir.path())
        .args(["validate", "--now", "2026-12-01T00:00:00Z"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["valid"], true);
    assert!(
        !dir.path().join("data").exists(),
        "validate must not create a database"
    );
}

#[test]
fn validate_exits_1_when_the_request_has_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = request_file(dir.path(), &REQUEST.replace("\"RX1\"", "\"RX1!\""));
    let output = appreg(dir.path())
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["findings"][0]["code"], "ods_code.format");
}

#[test]
fn validate_reads_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = appreg(dir.path())
        .args(["validate", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(REQUEST.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn validate_exits_2_with_a_clear_message_for_input_that_is_not_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("{\"ods_code\": 5}", "ods_code: invalid type"),
        ("not json", "not valid JSON"),
        (
            &REQUEST.replacen("\"ods_code\"", "\"ods\"", 1),
            "unknown field `ods`",
        ),
    ];
    for (input, needle) in cases {
        let file = request_file(dir.path(), input);
        let output = appreg(dir.path())
            .arg("validate")
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{input}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(needle), "{stderr}");
        assert!(output.stdout.is_empty());
    }
    let output = appreg(dir.path())
        .args(["validate", "--now", "tomorrow", "-"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = appreg(dir.path())
        .args(["validate", "/no/such/file.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn serve_exits_non_zero_with_a_message_when_the_port_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = appreg(dir.path())
        .args(["serve", "--address", &address])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!("cannot listen on {address}")),
        "{stderr}"
    );
    assert!(stderr.contains("APPREG_ADDRESS"), "{stderr}");
}

#[test]
fn serve_exits_non_zero_with_a_message_when_the_database_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, "").unwrap();
    let output = appreg(dir.path())
        .args(["serve", "--address", "127.0.0.1:0"])
        .env("APPREG_DATA_DIR", blocker.join("data"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("cannot use the database"), "{stderr}");
    assert!(stderr.contains("APPREG_DATA_DIR"), "{stderr}");
}

#[test]
fn directory_import_then_validate_uses_the_imported_rows() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("mailboxes.csv");
    std::fs::write(
        &list,
        "address,ods_code,kind\nimported.team@nhs.net,RX1,shared\n",
    )
    .unwrap();
    let output = appreg(dir.path())
        .args(["directory", "import"])
        .arg(&list)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .contains("1 mailboxes imported")
    );
    let file = request_file(
        dir.path(),
        &REQUEST.replace("ward7.referrals@nhs.net", "imported.team@nhs.net"),
    );
    let output = appreg(dir.path())
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn an_imported_group_is_accepted_as_the_access_policy_group() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("groups.csv");
    std::fs::write(
        &list,
        "address,ods_code,kind\nimported-scope@nhs.net,RX1,group\n",
    )
    .unwrap();
    let output = appreg(dir.path())
        .args(["directory", "import"])
        .arg(&list)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let validate = |group: &str| {
        let mut request: serde_json::Value = serde_json::from_str(REQUEST).unwrap();
        request["access_policy_group"] = serde_json::json!(group);
        let file = request_file(dir.path(), &request.to_string());
        appreg(dir.path())
            .arg("validate")
            .arg(&file)
            .output()
            .unwrap()
    };
    let output = validate("Imported-Scope@nhs.net");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    // A group the directory does not hold, and a mailbox given as the group, are errors.
    for (group, code) in [
        (
            "not-imported-scope@nhs.net",
            "access_policy_group.not_in_directory",
        ),
        ("ward7.referrals@nhs.net", "access_policy_group.not_a_group"),
    ] {
        let output = validate(group);
        assert_eq!(output.status.code(), Some(1), "{group}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(stdout.contains(code), "{group}: {stdout}");
    }
}

#[test]
fn an_imported_pharmacy_file_lets_a_pharmacy_register() {
    let dir = tempfile::tempdir().unwrap();
    // ODS's edispensary.csv layout (27 fields; illustrative values): one open pharmacy, one closed.
    let pharmacies = dir.path().join("EDISPENSARY.CSV");
    std::fs::write(
        &pharmacies,
        "\"FVR79\",\"EXAMPLE PHARMACY\",\"Y60\",\"QT1\",\"12 HIGH STREET\",\"\",\"\",\"NOTTINGHAM\",\"\",\"NG1 2AB\",\"20060401\",\"\",\"A\",\"1\",\"P79D\",\"20060401\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"\n\
         \"FK421\",\"EXAMPLE CLOSED PHARMACY\",\"Y61\",\"QM7\",\"7 CHURCH LANE\",\"\",\"\",\"BEDFORD\",\"\",\"MK40 1AA\",\"20060401\",\"20240331\",\"C\",\"1\",\"P08F\",\"20060401\",\"20240331\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"\n",
    )
    .unwrap();
    let mailboxes = dir.path().join("mailboxes.csv");
    std::fs::write(
        &mailboxes,
        "address,ods_code,kind\npharmacy.fvr79@nhs.net,FVR79,shared\npharmacy.fk421@nhs.net,FK421,shared\n",
    )
    .unwrap();
    let output = appreg(dir.path())
        .args(["directory", "import"])
        .arg(&pharmacies)
        .arg(&mailboxes)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("2 organisations, 0 mailboxes imported"),
        "{stdout}"
    );
    let validate = |code: &str, mailbox: &str| {
        let file = request_file(
            dir.path(),
            &REQUEST
                .replace("\"RX1\"", &format!("\"{code}\""))
                .replace("ward7.referrals@nhs.net", mailbox),
        );
        appreg(dir.path())
            .args(["validate", "--now", "2026-12-01T00:00:00Z"])
            .arg(&file)
            .output()
            .unwrap()
    };
    let output = validate("FVR79", "pharmacy.fvr79@nhs.net");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["organisation"]["ods_code"], "FVR79", "{stdout}");
    for finding in report["findings"].as_array().unwrap() {
        let path = finding["path"].as_str().unwrap();
        assert!(
            path != "ods_code" && !path.starts_with("mailboxes"),
            "{stdout}"
        );
    }
    // The closed pharmacy is closed; a malformed code in the file refuses the whole file.
    let output = validate("FK421", "pharmacy.fk421@nhs.net");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .contains("ods_code.closed")
    );
    std::fs::create_dir(dir.path().join("broken")).unwrap();
    let broken = dir.path().join("broken").join("edispensary.csv");
    std::fs::write(
        &broken,
        std::fs::read_to_string(&pharmacies)
            .unwrap()
            .replace("\"FK421\"", "\"FK-421\""),
    )
    .unwrap();
    let output = appreg(dir.path())
        .args(["directory", "import"])
        .arg(&broken)
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("line 2: field 1 (organisation code) is 'FK-421'"),
        "{stderr}"
    );
}

#[test]
fn findings_prints_the_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let output = appreg(dir.path()).arg("findings").output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("| `ods_code.format` | error |"));
}

#[test]
fn the_data_directory_database_and_keys_are_owner_only_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    // Run as a service would under the common umask 022 (world-readable by default).
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("umask 022 && exec \"$0\" keys list")
        .arg(env!("CARGO_BIN_EXE_appreg"))
        .current_dir(dir.path())
        .env_remove("APPREG_CONFIG")
        .env_remove("APPREG_DATABASE_URL")
        .env("APPREG_DATA_DIR", dir.path().join("data"));
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mode = |path: std::path::PathBuf| {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        (
            path.file_name().unwrap().to_string_lossy().into_owned(),
            mode,
        )
    };
    let data = dir.path().join("data");
    let mut seen = vec![mode(data.clone()), mode(data.join("keys"))];
    for entry in std::fs::read_dir(&data)
        .unwrap()
        .chain(std::fs::read_dir(data.join("keys")).unwrap())
    {
        let path = entry.unwrap().path();
        if path.is_file() {
            seen.push(mode(path));
        }
    }
    assert!(
        seen.iter().any(|(name, _)| name == "appreg.sqlite"),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|(name, _)| name.ends_with(".pem")),
        "{seen:?}"
    );
    for (name, mode) in &seen {
        let expected = if name == "data" || name == "keys" {
            0o700
        } else {
            0o600
        };
        assert_eq!(*mode, expected, "{name}: {mode:o} in {seen:?}");
    }
}

#[test]
fn bench_data_fills_a_desk_with_genuine_requests_of_every_queue_status() {
    let dir = tempfile::tempdir().unwrap();
    let output = appreg(dir.path())
        .args(["bench-data", "--requests", "80"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("80 requests in "), "{stdout}");
    // Submitted, signed and decided through the desk's own code: the log checks out.
    let verify = appreg(dir.path()).args(["log", "verify"]).output().unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (statuses, risks, organisations) = runtime.block_on(async {
        let pool = server::store::open(&format!(
            "sqlite://{}",
            dir.path().join("data/appreg.sqlite").display()
        ))
        .await
        .unwrap();
        let distinct = |column: &str| {
            format!(
                "SELECT DISTINCT {column} FROM registration_request WHERE is_latest = 1 ORDER BY 1"
            )
        };
        let statuses: Vec<String> = sqlx::query_scalar(&distinct("status"))
            .fetch_all(&pool)
            .await
            .unwrap();
        let risks: Vec<String> = sqlx::query_scalar(&distinct("risk"))
            .fetch_all(&pool)
            .await
            .unwrap();
        let organisations: Vec<String> = sqlx::query_scalar(&distinct("ods_code"))
            .fetch_all(&pool)
            .await
            .unwrap();
        (statuses, risks, organisations)
    });
    assert_eq!(
        statuses,
        ["approved", "changes_requested", "rejected", "submitted"]
    );
    assert_eq!(risks, ["high", "low"]);
    assert!(organisations.len() >= 3, "{organisations:?}");
    // Nobody reads a benchmark's mail: its outbox is gone.
    assert!(!dir.path().join("data/bench-data-outbox").exists());
}
