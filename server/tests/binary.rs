//! Runs the built server binary as a user would: argument errors, the printed URL, a real
//! request over loopback, the request log and a stop by SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_zephr-session-server");
const SUBSCRIBER_ID: &str = "9d4c2b7a-0e1f-4a3b-8c5d-6e7f8a9b0c1d";

fn run(args: &[&str]) -> Output {
    match Command::new(BINARY).args(args).output() {
        Ok(output) => output,
        Err(error) => panic!("failed to run {BINARY}: {error}"),
    }
}

/// Child process that is killed on drop, so a failed assert never leaves a server running.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// Sends a plain HTTP/1.1 GET to `host_port` and returns the whole response text.
fn http_get(host_port: &str, path: &str) -> String {
    http_request(host_port, "GET", path)
}

/// Sends a plain HTTP/1.1 request without a body and returns the whole response text.
fn http_request(host_port: &str, method: &str, path: &str) -> String {
    let mut stream = match TcpStream::connect(host_port) {
        Ok(stream) => stream,
        Err(error) => panic!("failed to connect to {host_port}: {error}"),
    };
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host_port}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    );
    if let Err(error) = stream.write_all(request.as_bytes()) {
        panic!("failed to send the request for {path}: {error}");
    }
    let mut response = String::new();
    if let Err(error) = stream.read_to_string(&mut response) {
        panic!("failed to read the response for {path}: {error}");
    }
    response
}

#[test]
fn help_exits_zero() {
    let output = run(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("--listen ADDR"), "{stdout}");
    assert!(stdout.contains("--root DIR"), "{stdout}");
}

#[test]
fn bad_arguments_exit_two() {
    let cases: [(&[&str], &str); 4] = [
        (&["--listen", "nowhere"], "'nowhere'"),
        (&["--listen"], "--listen needs a value"),
        (&["mirror"], "'mirror'"),
        (
            &["--root", "/nonexistent/zephr-root"],
            "/nonexistent/zephr-root",
        ),
    ];
    for (args, expected) in cases {
        let output = run(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(stderr.contains("--help"), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn busy_address_exits_one() {
    let occupied = match TcpListener::bind("127.0.0.1:0") {
        Ok(listener) => listener,
        Err(error) => panic!("failed to bind a loopback port: {error}"),
    };
    let address = match occupied.local_addr() {
        Ok(address) => address.to_string(),
        Err(error) => panic!("failed to read the bound address: {error}"),
    };
    let output = run(&["--listen", &address]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("failed to listen"), "{stderr}");
    assert!(stderr.contains(&address), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn serves_on_free_port_and_stops_on_sigterm() {
    let child = Command::new(BINARY)
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut server = match child {
        Ok(child) => Server(child),
        Err(error) => panic!("failed to start {BINARY}: {error}"),
    };

    let Some(stdout) = server.0.stdout.take() else {
        panic!("server stdout is not piped");
    };
    let mut first_line = String::new();
    if let Err(error) = BufReader::new(stdout).read_line(&mut first_line) {
        panic!("failed to read the first stdout line: {error}");
    }
    let host_port = first_line
        .trim_end()
        .strip_prefix("zephr-session demo: http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_default()
        .to_owned();
    assert!(host_port.starts_with("127.0.0.1:"), "{first_line:?}");
    assert!(!host_port.ends_with(":0"), "{first_line:?}");

    let response = http_get(
        &host_port,
        &format!("/v4/sessions/www/{SUBSCRIBER_ID}?token=secret"),
    );
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(
        response.contains("content-type: application/json"),
        "{response}"
    );
    assert!(response.contains(r#""tenantId": "gazette""#), "{response}");

    let response = http_get(
        &host_port,
        "/v4/sessions/www/00000000-0000-4000-8000-000000000000",
    );
    assert!(response.starts_with("HTTP/1.1 404 Not Found"), "{response}");
    assert!(response.contains("content-length: 0"), "{response}");

    let stopped = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status();
    assert!(matches!(stopped, Ok(status) if status.success()));
    let status = match server.0.wait() {
        Ok(status) => status,
        Err(error) => panic!("failed to wait for the server: {error}"),
    };
    assert!(status.success(), "{status}");

    let mut stderr = String::new();
    if let Some(mut pipe) = server.0.stderr.take() {
        pipe.read_to_string(&mut stderr).ok();
    }
    assert!(stderr.contains("demo server started"), "{stderr}");
    assert!(stderr.contains("path=/v4/sessions/www/9d4c…"), "{stderr}");
    assert!(stderr.contains("status=404"), "{stderr}");
    assert!(stderr.contains("demo server stopped"), "{stderr}");
    assert!(stderr.contains("status=200"), "{stderr}");
    assert!(stderr.contains("duration_ms="), "{stderr}");
    assert!(!stderr.contains(SUBSCRIBER_ID), "{stderr}");
    assert!(!stderr.contains("9d4c2"), "{stderr}");
    assert!(!stderr.contains("secret"), "{stderr}");
}

#[test]
fn purchase_log_hides_session_id() {
    let child = Command::new(BINARY)
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut server = match child {
        Ok(child) => Server(child),
        Err(error) => panic!("failed to start {BINARY}: {error}"),
    };
    let Some(stdout) = server.0.stdout.take() else {
        panic!("server stdout is not piped");
    };
    let mut first_line = String::new();
    if let Err(error) = BufReader::new(stdout).read_line(&mut first_line) {
        panic!("failed to read the first stdout line: {error}");
    }
    let host_port = first_line
        .trim_end()
        .strip_prefix("zephr-session demo: http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_default()
        .to_owned();

    let response = http_request(
        &host_port,
        "POST",
        &format!("/demo/purchase/{SUBSCRIBER_ID}"),
    );
    assert!(response.starts_with("HTTP/1.1 204"), "{response}");
    let response = http_request(&host_port, "POST", "/demo/reset");
    assert!(response.starts_with("HTTP/1.1 204"), "{response}");

    let stopped = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status();
    assert!(matches!(stopped, Ok(status) if status.success()));
    server.0.wait().ok();
    let mut stderr = String::new();
    if let Some(mut pipe) = server.0.stderr.take() {
        pipe.read_to_string(&mut stderr).ok();
    }
    assert!(stderr.contains("path=/demo/purchase/9d4c…"), "{stderr}");
    assert!(stderr.contains("session=9d4c…"), "{stderr}");
    assert!(stderr.contains("path=/demo/reset"), "{stderr}");
    assert!(!stderr.contains("9d4c2"), "{stderr}");
}
