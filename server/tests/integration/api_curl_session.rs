//! docs/api.md's curl session runs as written: `appreg serve` on a free port with an empty data
//! directory, then the page's ```sh blocks, in order, in one `bash -euo pipefail`.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DOC: &str = include_str!("../../../docs/api.md");

/// The ```sh blocks of a Markdown page, in order.
fn shell_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an unclosed ```sh block in docs/api.md");
    blocks
}

/// Ends the server however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn healthy(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

fn appreg_env(command: &mut Command, data: &Path, port: u16) {
    command
        .env_remove("APPREG_CONFIG")
        .env_remove("APPREG_DATABASE_URL")
        .env_remove("APPREG_PUBLIC_URL")
        .env("APPREG_DATA_DIR", data)
        .env("APPREG_ADDRESS", format!("127.0.0.1:{port}"))
        .env("APPREG_LOG", "error");
}

#[test]
fn the_curl_session_in_docs_api_md_runs_as_written() {
    let blocks = shell_blocks(DOC);
    assert!(blocks.len() >= 8, "the session has {} blocks", blocks.len());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let binary = Path::new(env!("CARGO_BIN_EXE_appreg"));

    let port = free_port();
    let mut serve = Command::new(binary);
    serve
        .arg("serve")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    appreg_env(&mut serve, &data, port);
    let _server = Server(serve.spawn().unwrap());
    let started = Instant::now();
    while !healthy(port) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "appreg serve did not answer /healthz on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    let script = dir.path().join("session.sh");
    std::fs::write(&script, blocks.concat()).unwrap();
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut bash = Command::new("bash");
    bash.args(["-euo", "pipefail"])
        .arg(&script)
        .current_dir(&work)
        .env("PATH", path)
        .env("APPREG_URL", format!("http://127.0.0.1:{port}"));
    appreg_env(&mut bash, &data, port);
    let output = bash.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the session failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines.contains(&"ok"),
        "appreg verify did not print ok:\n{stdout}"
    );
    assert!(lines.contains(&"approved"), "{stdout}");
    assert!(lines.contains(&"204"), "sign-out:\n{stdout}");
    let reference = lines
        .iter()
        .find_map(|line| line.strip_prefix("submitted "))
        .expect("the session prints the reference");
    assert!(
        lines.contains(&format!("jti: {reference}").as_str()),
        "{stdout}"
    );
    assert!(
        lines.contains(&format!("{reference} is approved").as_str()),
        "{stdout}"
    );
    assert!(
        work.join(format!("{reference}-entra-application.json"))
            .exists(),
        "the Entra export was saved under its attachment name"
    );
}

#[test]
fn shell_blocks_are_found_in_order_and_other_blocks_are_left_out() {
    let markdown =
        "# T\n```sh\necho one\n```\n```json\n{}\n```\ntext\n```sh\necho two\necho three\n```\n";
    assert_eq!(
        shell_blocks(markdown),
        ["echo one\n", "echo two\necho three\n"]
    );
}
