//! What logondb tells a tracing subscriber: one span per call with its
//! function, rows and duration, and never a password or a hash.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{setup, DEMO_PASSWORD};
use logondb::Password;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::fmt::MakeWriter;

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn spans_name_the_call_and_never_carry_a_secret() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        // tiberius logs every row verbatim at TRACE (README, "Security"); DEBUG and up are checked.
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let t = setup().await;
    let secret = "Brand-New-Passw0rd!";
    t.db.get_login_by_name("alice", false).await.unwrap();
    t.db.authenticate("alice", &Password::new("Wrong-Passw0rd!"))
        .await
        .unwrap();
    t.db.authenticate("alice", &Password::new(DEMO_PASSWORD))
        .await
        .unwrap();
    t.db.change_endusers_password("alice", &Password::new(secret))
        .await
        .unwrap();
    let generated =
        t.db.reset_password("carol", None, true)
            .await
            .unwrap()
            .expect("a generated password");

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for function in [
        "get_login_by_name",
        "authenticate",
        "change_endusers_password",
        "reset_password",
    ] {
        assert!(
            text.contains(&format!("function=\"{function}\"")),
            "no span for {function}:\n{text}"
        );
    }
    assert!(text.contains("rows=1"), "rows are recorded:\n{text}");
    assert!(
        text.contains("duration_ms="),
        "durations are recorded:\n{text}"
    );
    for secret in [secret, DEMO_PASSWORD, "Wrong-Passw0rd!", generated.expose()] {
        assert!(!text.contains(secret), "a password reached the log");
    }
    let leaked: Vec<&str> = text.lines().filter(|l| l.contains("$argon2")).collect();
    assert!(leaked.is_empty(), "a hash reached the log: {leaked:#?}");
}
