//! コマンドとしての約束: `--list-defects`、引数の誤り、renkei のクレートに依存しないこと。

use serde_json::Value;
use std::process::Command;

fn vendor() -> Command {
    Command::new(env!("CARGO_BIN_EXE_renkei-reference-vendor"))
}

#[test]
fn list_defects_prints_every_defect_as_json() {
    let out = vendor().arg("--list-defects").output().unwrap();
    assert!(out.status.success());
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.len(), renkei_reference_vendor::defects().len());
    assert_eq!(list.len(), 74);
    for d in &list {
        let keys: Vec<&String> = d.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["description", "id", "requirement"], "{d}");
        assert!(
            d["description"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| c > '\u{3000}'),
            "説明は日本語: {d}"
        );
    }
    assert!(
        list.iter()
            .any(|d| d["id"] == "proxy-bypass" && d["requirement"] == "ING-01")
    );
}

#[test]
fn an_unknown_defect_or_missing_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = vendor()
        .args(["--port", "0", "--data"])
        .arg(dir.path())
        .args(["--defect", "no-such"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("proxy-bypass"),
        "使える ID を挙げる"
    );
    assert_eq!(
        vendor()
            .arg("--port")
            .arg("0")
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn the_library_takes_its_arguments_as_a_slice() {
    let code = renkei_reference_vendor::main_with_args(&["--list-defects".to_owned()]);
    assert_eq!(code, std::process::ExitCode::SUCCESS);
}

/// 参照ベンダーは文書だけから書いたものなので、renkei のどのクレートにも依存しません。
#[test]
fn depends_on_no_renkei_crate() {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let doc: toml::Table = manifest.parse().unwrap();
    let mut names = Vec::new();
    for table in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(deps) = doc.get(table).and_then(toml::Value::as_table) {
            names.extend(deps.keys().cloned());
        }
    }
    assert!(
        names.contains(&"axum".to_owned()),
        "依存の表を読めていない: {names:?}"
    );
    for name in names {
        assert!(
            !name.starts_with("renkei"),
            "renkei のクレート {name} に依存しています"
        );
    }
}
