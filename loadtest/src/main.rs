//! `appreg-load`: drives a running appreg with many concurrent clients and reports what it saw.
//!
//! Scenarios (docs/performance.md has the method and the numbers):
//! - `submit`: `POST /api/v1/registrations` as a signed-in Local Administrator — validation,
//!   signing and a durable insert into the hash-chained log, the desk's most expensive request;
//! - `validate`: `POST /api/v1/registrations/validate` as a signed-in user — validation only, no
//!   storage (anonymous validation is rate-limited per address);
//! - `healthz`: `GET /healthz` — the server and database round trip, a floor for comparison;
//! - `queue`: `GET /api/v1/registrations` (with `--query`, e.g. `status=submitted`) as a signed-in
//!   reviewer — the review queue's first page, the read a reviewer makes most;
//! - `reference`: `POST` of `--request` to `--url` itself (no sign-in, 201 expected): the peer the
//!   desk is compared with, node `oidc-provider`'s dynamic client registration (`bench/reference`).
//!
//! Each client sends its next request as soon as the last is answered (closed loop). Latencies
//! are measured per request from send to the last body byte; every non-expected status counts as
//! an error. With `--pid`, the server's resident memory (VmRSS, and the peak VmHWM) is sampled
//! from /proc while the load runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::{Parser, ValueEnum};
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// What to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Submit a valid request (validate + sign + store).
    Submit,
    /// Validate a request (no storage).
    Validate,
    /// GET /healthz.
    Healthz,
    /// GET /api/v1/registrations as a reviewer (the queue's first page).
    Queue,
    /// POST the request body to --url as is, unauthenticated, expecting 201 (the reference peer).
    Reference,
}

#[derive(Debug, Parser)]
#[command(about = "Load generator for appreg's JSON API")]
struct Args {
    /// The server, e.g. http://127.0.0.1:3000 (for `reference`, the full registration endpoint,
    /// e.g. http://127.0.0.1:3900/reg).
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// What to send.
    #[arg(long, value_enum, default_value = "submit")]
    scenario: Scenario,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds of measured load (after the warm-up).
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds of unmeasured warm-up load.
    #[arg(long, default_value_t = 3)]
    warm_up: u64,
    /// The account to sign in as: a Local Administrator whose organisation matches the request's
    /// ODS code (submit, validate), or a reviewer (queue).
    #[arg(long, default_value = "load.admin@nhs.net")]
    email: String,
    /// That account's password (read from APPREG_LOAD_PASSWORD when not given).
    #[arg(long, env = "APPREG_LOAD_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// The request body (a RegistrationRequest as JSON; for `reference`, the client metadata).
    #[arg(long)]
    request: Option<std::path::PathBuf>,
    /// The query string of `queue` (without `?`), e.g. `status=submitted&risk=high`.
    #[arg(long, default_value = "")]
    query: String,
    /// Also print the results as one JSON object on the last line (for scripts/bench).
    #[arg(long)]
    json: bool,
    /// The server's process id, to sample its memory from /proc.
    #[arg(long)]
    pid: Option<u32>,
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

struct Session {
    cookie: String,
    csrf: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let body = match (&args.request, args.scenario) {
        (Some(path), _) => Bytes::from(
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
        ),
        (None, Scenario::Submit | Scenario::Validate | Scenario::Reference) => {
            bail!("the {:?} scenario needs --request", args.scenario)
        }
        (None, Scenario::Healthz | Scenario::Queue) => Bytes::new(),
    };
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.concurrency)
        .build(connector);
    let base = args.url.trim_end_matches('/').to_string();

    // Validation is measured as the form uses it, signed in: anonymous validation is
    // rate-limited per address (docs/security.md).
    let session = match args.scenario {
        Scenario::Submit | Scenario::Validate | Scenario::Queue => {
            Some(Arc::new(sign_in(&client, &base, &args).await?))
        }
        Scenario::Healthz | Scenario::Reference => None,
    };
    let queue_path = if args.query.is_empty() {
        "/api/v1/registrations".to_string()
    } else {
        format!("/api/v1/registrations?{}", args.query)
    };
    let (method, path, expected) = match args.scenario {
        Scenario::Submit => (
            Method::POST,
            "/api/v1/registrations".to_string(),
            StatusCode::CREATED,
        ),
        Scenario::Validate => (
            Method::POST,
            "/api/v1/registrations/validate".to_string(),
            StatusCode::OK,
        ),
        Scenario::Healthz => (Method::GET, "/healthz".to_string(), StatusCode::OK),
        Scenario::Queue => (Method::GET, queue_path, StatusCode::OK),
        Scenario::Reference => (Method::POST, String::new(), StatusCode::CREATED),
    };
    let target = Arc::new(Target {
        client,
        uri: format!("{base}{path}"),
        method,
        body,
        expected,
        session,
    });

    // Warm-up: the same load, not measured (connections opened, caches filled).
    if args.warm_up > 0 {
        run(&target, args.concurrency, Duration::from_secs(args.warm_up)).await?;
    }
    let memory = args.pid.map(MemorySampler::start);
    let started = Instant::now();
    let results = run(&target, args.concurrency, Duration::from_secs(args.seconds)).await?;
    let elapsed = started.elapsed();
    let memory = match memory {
        Some(sampler) => Some(sampler.stop().await),
        None => None,
    };
    report(&args, &results, elapsed, memory.as_ref());
    if results.errors > 0 {
        bail!(
            "{} requests did not answer {}: the run does not count",
            results.errors,
            target.expected
        );
    }
    Ok(())
}

struct Target {
    client: HttpClient,
    uri: String,
    method: Method,
    body: Bytes,
    expected: StatusCode,
    session: Option<Arc<Session>>,
}

#[derive(Default)]
struct Results {
    /// Latency of each successful request, in microseconds.
    latencies_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

async fn run(
    target: &Arc<Target>,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Results> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let target = target.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut results = Results::default();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                match send(&target).await {
                    Ok(()) => results
                        .latencies_us
                        .push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX)),
                    Err(error) => {
                        results.errors += 1;
                        results.first_error.get_or_insert(format!("{error:#}"));
                    }
                }
            }
            results
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Results::default();
    for task in tasks {
        let results = task.await?;
        all.latencies_us.extend(results.latencies_us);
        all.errors += results.errors;
        if all.first_error.is_none() {
            all.first_error = results.first_error;
        }
    }
    Ok(all)
}

async fn send(target: &Target) -> anyhow::Result<()> {
    let mut builder = Request::builder()
        .method(target.method.clone())
        .uri(&target.uri);
    let body = if target.method == Method::POST {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
        target.body.clone()
    } else {
        Bytes::new()
    };
    if let Some(session) = &target.session {
        builder = builder
            .header(header::COOKIE, &session.cookie)
            .header("x-csrf-token", &session.csrf);
    }
    let response = target
        .client
        .request(builder.body(Full::new(body))?)
        .await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    if status != target.expected {
        bail!(
            "status {status}: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
        );
    }
    Ok(())
}

async fn sign_in(client: &HttpClient, base: &str, args: &Args) -> anyhow::Result<Session> {
    let password = args.password.clone().context(
        "the submit, validate and queue scenarios need --password or APPREG_LOAD_PASSWORD",
    )?;
    let body = serde_json::json!({ "email": args.email, "password": password }).to_string();
    let request = Request::post(format!("{base}/api/v1/session"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))?;
    let response = client
        .request(request)
        .await
        .context("cannot reach the server")?;
    let status = response.status();
    // The session cookie among those sign-in sets (the device cookie is the other).
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| {
            pair.starts_with("appreg_session=") || pair.starts_with("__Host-appreg_session=")
        })
        .map(str::to_string);
    let bytes = response.into_body().collect().await?.to_bytes();
    if status != StatusCode::OK {
        bail!(
            "sign-in answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
    }
    let json: serde_json::Value = serde_json::from_slice(&bytes)?;
    Ok(Session {
        cookie: cookie.context("sign-in set no cookie")?,
        csrf: json["csrf_token"]
            .as_str()
            .context("sign-in gave no csrf_token")?
            .to_string(),
    })
}

/// Resident memory of the server while the load runs, in KiB.
struct Memory {
    max_rss_kib: u64,
    peak_hwm_kib: u64,
}

struct MemorySampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Memory>,
}

impl MemorySampler {
    fn start(pid: u32) -> MemorySampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut memory = Memory {
                max_rss_kib: 0,
                peak_hwm_kib: 0,
            };
            while !flag.load(Ordering::Relaxed) {
                if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                    memory.max_rss_kib = memory.max_rss_kib.max(field_kib(&status, "VmRSS:"));
                    memory.peak_hwm_kib = memory.peak_hwm_kib.max(field_kib(&status, "VmHWM:"));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            memory
        });
        MemorySampler { stop, task }
    }

    async fn stop(self) -> Memory {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap_or(Memory {
            max_rss_kib: 0,
            peak_hwm_kib: 0,
        })
    }
}

fn field_kib(status: &str, name: &str) -> u64 {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
        .unwrap_or(0)
}

fn report(args: &Args, results: &Results, elapsed: Duration, memory: Option<&Memory>) {
    let mut sorted = results.latencies_us.clone();
    sorted.sort_unstable();
    let percentile = |p: f64| -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
    };
    let ok = sorted.len();
    println!("scenario:     {:?}", args.scenario);
    println!("concurrency:  {}", args.concurrency);
    println!("duration:     {:.1} s", elapsed.as_secs_f64());
    println!("requests:     {ok} ok, {} errors", results.errors);
    println!(
        "throughput:   {:.0} requests/s",
        ok as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency (ms): p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        percentile(50.0),
        percentile(90.0),
        percentile(99.0),
        percentile(99.9),
        percentile(100.0)
    );
    if let Some(memory) = memory {
        println!(
            "server memory: max RSS {:.1} MiB during the run, peak (VmHWM) {:.1} MiB",
            memory.max_rss_kib as f64 / 1024.0,
            memory.peak_hwm_kib as f64 / 1024.0
        );
    }
    if let Some(error) = &results.first_error {
        println!("first error:  {error}");
    }
    if args.json {
        let summary = serde_json::json!({
            "scenario": format!("{:?}", args.scenario).to_lowercase(),
            "concurrency": args.concurrency,
            "seconds": elapsed.as_secs_f64(),
            "ok": ok,
            "errors": results.errors,
            "rps": ok as f64 / elapsed.as_secs_f64(),
            "p50_ms": percentile(50.0),
            "p99_ms": percentile(99.0),
            "max_ms": percentile(100.0),
            "peak_rss_mib": memory.map(|memory| memory.peak_hwm_kib as f64 / 1024.0),
        });
        println!("{summary}");
    }
}
