//! Capturing what `tracing` writes, for the tests that check nothing secret reaches the logs.
//!
//! One process-wide subscriber, installed once per test binary, whose filter asks per event
//! whether anyone is capturing. A thread-local `set_default` is not enough, nor a global
//! subscriber installed midway: while other tests of this binary log on other threads, `tracing`
//! may cache "never" for a callsite registered before the subscriber (or racing with it), and
//! that line is then lost. A dynamic filter is asked per event, never cached per callsite.

use std::cell::RefCell;
use std::sync::{Arc, Mutex};

/// A buffer the captured lines are written into.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything captured so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

thread_local! {
    /// Where this thread's log lines go while a test captures them ([`capture_logs`]).
    static THIS_THREAD: RefCell<Option<Captured>> = const { RefCell::new(None) };
}

/// Where every thread's log lines go while a test captures them all ([`capture_all_logs`]).
static EVERY_THREAD: Mutex<Option<Captured>> = Mutex::new(None);

fn capturing_anywhere() -> bool {
    THIS_THREAD.with(|captured| captured.borrow().is_some())
        || EVERY_THREAD.lock().unwrap().is_some()
}

/// Writes a line to the logging thread's buffer and to the every-thread buffer, when set.
struct Sink;

impl std::io::Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        THIS_THREAD.with(|captured| {
            if let Some(captured) = captured.borrow_mut().as_mut() {
                captured.write_all(bytes)?;
            }
            std::io::Result::Ok(())
        })?;
        if let Some(captured) = EVERY_THREAD.lock().unwrap().as_mut() {
            captured.write_all(bytes)?;
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the subscriber (once); call it before a test's first log line.
pub fn install() {
    use tracing_subscriber::prelude::*;
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(|| Sink)
            .with_filter(tracing_subscriber::filter::dynamic_filter_fn(|_, _| {
                capturing_anywhere()
            }));
        tracing_subscriber::registry().with(layer).init();
    });
}

/// Captures every log line this thread writes until the guard is dropped.
pub fn capture_logs() -> (Captured, impl Drop) {
    install();
    let captured = Captured::default();
    THIS_THREAD.with(|slot| *slot.borrow_mut() = Some(captured.clone()));
    struct Stop;
    impl Drop for Stop {
        fn drop(&mut self) {
            THIS_THREAD.with(|slot| *slot.borrow_mut() = None);
        }
    }
    (captured, Stop)
}

/// Captures every log line any thread writes until the guard is dropped (lines of tests running
/// at the same time included: for checks that something never appears, not that it does).
/// One such capture at a time: a second waits for the first to end.
pub fn capture_all_logs() -> (Captured, impl Drop) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    install();
    let turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let captured = Captured::default();
    *EVERY_THREAD.lock().unwrap() = Some(captured.clone());
    struct Stop {
        _turn: std::sync::MutexGuard<'static, ()>,
    }
    impl Drop for Stop {
        fn drop(&mut self) {
            *EVERY_THREAD.lock().unwrap() = None;
        }
    }
    (captured, Stop { _turn: turn })
}
