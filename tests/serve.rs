//! `renkei serve` as an operator starts it: a real process, its banner, and a login through the
//! 連携サーバ it prints — over raw HTTP/1.1, as any vendor's client would speak it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The address printed on the banner line that starts with `label`.
fn address(banner: &[String], label: &str) -> String {
    let line = banner
        .iter()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap();
    url.trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned()
}

fn post_through(proxy: &str, api: &str, path: &str, body: &str) -> String {
    let mut socket = TcpStream::connect(proxy).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        socket,
        "POST http://{api}{path} HTTP/1.1\r\nHost: {api}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    socket.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_prints_where_it_runs_and_answers_through_the_proxy() {
    let child = Command::new(env!("CARGO_BIN_EXE_renkei"))
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut serving = Serving(child);
    let mut lines = BufReader::new(serving.0.stdout.take().unwrap()).lines();
    let banner = read_banner(&mut lines);
    assert!(banner[0].contains("既定シナリオ"), "{banner:?}");
    let api = address(&banner, "ぴったりサービス");
    let proxy = address(&banner, "連携サーバ");
    let ok = post_through(
        &proxy,
        &api,
        "/pittari/v1/login",
        r#"{"login_id":"tetsuzuki01","password":"renkei-tetsuzuki-01"}"#,
    );
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.contains("\"token\""), "{ok}");
    // Straight to the API, not through the proxy: refused.
    let mut direct = TcpStream::connect(&api).unwrap();
    direct
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(direct, "POST /pittari/v1/login HTTP/1.1\r\nHost: {api}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}").unwrap();
    let mut refused = String::new();
    direct.read_to_string(&mut refused).unwrap();
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    assert!(refused.contains("NOT_VIA_RENKEI_SERVER"));

    // Another scenario through the admin API: a bad one changes nothing, a good one restarts
    // every simulator with it.
    let admin = address(&banner, "管理API");
    let bad = request(&admin, "POST", "/admin/v1/scenario", "name = 1");
    assert!(
        bad.starts_with("HTTP/1.1 400") && bad.contains("BAD_SCENARIO"),
        "{bad}"
    );
    let other = renkei_fixtures::scenario::DEFAULT
        .replace(
            "既定シナリオ: 千代田区 1,000人と申請300件",
            "小さなシナリオ",
        )
        .replace("residents = 1000", "residents = 200")
        .replace("generated = 300", "generated = 20");
    let accepted = request(&admin, "POST", "/admin/v1/scenario", &other);
    assert!(accepted.starts_with("HTTP/1.1 202"), "{accepted}");
    let banner = read_banner(&mut lines);
    assert!(
        banner.iter().any(|l| l.contains("小さなシナリオ")),
        "{banner:?}"
    );
    assert!(
        banner.iter().any(|l| l.contains("申請            20 件")),
        "{banner:?}"
    );
    let admin = address(&banner, "管理API");
    let current = request(&admin, "GET", "/admin/v1/scenario", "");
    assert!(current.contains("小さなシナリオ"), "{current}");
}

/// The banner lines up to the Ctrl-C line (reading blocks until the process writes them).
fn read_banner(lines: &mut std::io::Lines<BufReader<std::process::ChildStdout>>) -> Vec<String> {
    let mut banner = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.contains("Ctrl-C") {
            break;
        }
        banner.push(line);
    }
    banner
}

/// A plain HTTP/1.1 request straight to `addr`.
fn request(addr: &str, method: &str, path: &str, body: &str) -> String {
    let mut socket = TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        socket,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    socket.read_to_string(&mut response).unwrap();
    response
}
