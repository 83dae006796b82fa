//! docs/sut-adapter.md, its JSON Schemas and the code agree: the examples in the page are valid
//! against the schemas, and the sut.toml example is accepted by the adapter.

use std::path::Path;

use renkei_scenarios::sut::SutAdapter;
use renkei_scenarios::sut::schema::check_observation;
use serde_json::Value;

fn docs() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

/// The fenced blocks of a language in a Markdown page, in order.
fn blocks(page: &str, language: &str) -> Vec<String> {
    let text = std::fs::read_to_string(docs().join(page)).unwrap();
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim_start() == format!("```{language}") => current = Some(String::new()),
            Some(block) if line.trim_start() == "```" => {
                out.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    out
}

fn validator(schema_file: &str, pointer: &str) -> (boon::Schemas, boon::SchemaIndex) {
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(docs().join("schemas").join(schema_file)).unwrap(),
    )
    .unwrap();
    let id = json["$id"].as_str().unwrap().to_owned();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource(&id, json).unwrap();
    let index = compiler
        .compile(&format!("{id}{pointer}"), &mut schemas)
        .unwrap();
    (schemas, index)
}

/// TOML → JSON, as the sut.toml schema reads it.
fn toml_to_json(text: &str) -> Value {
    let value: toml::Value = toml::from_str(text).unwrap();
    serde_json::to_value(value).unwrap()
}

#[test]
fn the_sut_toml_example_is_accepted_and_valid() {
    let examples = blocks("sut-adapter.md", "toml");
    assert!(!examples.is_empty());
    let (schemas, index) = validator("sut.schema.json", "");
    for example in &examples {
        SutAdapter::parse("docs/sut-adapter.md", example)
            .unwrap_or_else(|e| panic!("{e}\n{example}"));
        schemas
            .validate(&toml_to_json(example), index)
            .unwrap_or_else(|e| panic!("{e:#}"));
    }
}

#[test]
fn the_reference_vendors_sut_toml_is_accepted_and_valid() {
    let path = docs().join("../tests/reference-vendor/sut.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    SutAdapter::parse("tests/reference-vendor/sut.toml", &text).unwrap();
    let (schemas, index) = validator("sut.schema.json", "");
    schemas
        .validate(&toml_to_json(&text), index)
        .unwrap_or_else(|e| panic!("{e:#}"));
}

#[test]
fn the_schema_refuses_what_the_adapter_refuses() {
    let (schemas, index) = validator("sut.schema.json", "");
    let example = &blocks("sut-adapter.md", "toml")[0];
    for broken in [
        example.replace("format = 1", "format = 2"),
        example.replace("[observe]", "[observe]\nextra = 1"),
        example.replace("timeout = \"60s\"", "timeout = \"60\""),
    ] {
        assert!(
            schemas.validate(&toml_to_json(&broken), index).is_err(),
            "{broken}"
        );
        assert!(SutAdapter::parse("x", &broken).is_err(), "{broken}");
    }
}

#[test]
fn the_json_examples_are_valid() {
    let examples = blocks("sut-adapter.md", "json");
    let (config_schemas, config_index) = validator("renkei-config.schema.json", "");
    let mut checked = Vec::new();
    for example in examples {
        let value: Value =
            serde_json::from_str(&example).unwrap_or_else(|e| panic!("{e}\n{example}"));
        let which = if value.get("format").and_then(Value::as_str) == Some("renkei-config/1") {
            config_schemas
                .validate(&value, config_index)
                .unwrap_or_else(|e| panic!("{e:#}"));
            "config"
        } else if value.get("job").is_some() {
            "job body"
        } else if value.get("gyomu").is_some() {
            check_observation("ikkatsu", &value).unwrap();
            "ikkatsu"
        } else if value.get("last_file").is_some() {
            check_observation("himoduke", &value).unwrap();
            "himoduke"
        } else if value["items"][0].get("tougou_atena_bango").is_some() {
            check_observation("fugou", &value).unwrap();
            "fugou"
        } else if value.get("source").is_some() {
            check_observation("jumin", &value).unwrap();
            "jumin"
        } else if value["items"][0].get("level").is_some() {
            check_observation("tsuchi", &value).unwrap();
            "tsuchi"
        } else {
            check_observation("shinsei", &value).unwrap_or_else(|e| panic!("{e}\n{example}"));
            "shinsei"
        };
        checked.push(which);
    }
    for needed in [
        "config", "job body", "shinsei", "tsuchi", "ikkatsu", "himoduke", "jumin", "fugou",
    ] {
        assert!(
            checked.contains(&needed),
            "no {needed} example checked: {checked:?}"
        );
    }
}

#[test]
fn the_config_renkei_writes_is_valid_against_its_schema() {
    use renkei_scenarios::runner::{gyomu_systems, shokuin};
    use renkei_scenarios::sut::config::*;
    let config = RenkeiConfig {
        format: CONFIG_FORMAT,
        scenario: ScenarioRef {
            number: 1,
            feature: "申請取込/取込.feature".into(),
            name: "連携サーバを経由してだけダウンロード機能に接続する".into(),
        },
        now: "2026-04-06T09:00:00+09:00".into(),
        clock_url: "http://127.0.0.1:1/admin/v1/clock".into(),
        dantai: "131016".into(),
        juki_master: JukiMaster {
            path: "/tmp/residents.csv".into(),
            format: "renkei-residents-csv/1",
        },
        pittari: PittariConfig {
            base_url: "http://127.0.0.1:2".into(),
            proxy_url: "http://127.0.0.1:3".into(),
            login_id: "tetsuzuki01".into(),
            password: "renkei-tetsuzuki-01".into(),
            signature_ca_url: "http://127.0.0.1:2/pittari/v1/jpki/signature/ca.pem".into(),
            signature_crl_url: "http://127.0.0.1:2/pittari/v1/jpki/signature/crl.der".into(),
        },
        jukinet: JukinetConfig {
            base_url: "http://127.0.0.1:4".into(),
            access_key: "jukinet-131016-0123456789abcdef".into(),
            form: "csv".into(),
        },
        chukan: ChukanConfig {
            base_url: "https://127.0.0.1:5".into(),
            ca_pem: "/tmp/chukan-certs/9913101600000000/ca.pem".into(),
            client_pem: "/tmp/chukan-certs/9913101600000000/client.pem".into(),
            client_key: "/tmp/chukan-certs/9913101600000000/client.key".into(),
            kikan_code: "9913101600000000".into(),
            msg_mode: "1".into(),
            daily_caps: DailyCapsConfig {
                records: Some(2_000_000),
                bytes: Some(5_000_000_000),
            },
        },
        gyomu_systems: gyomu_systems(renkei_fixtures::catalog::Catalogs::embedded()),
        shokuin: shokuin(),
        kizon: Some(KizonConfig {
            source_system_id: "KIZON-01".into(),
            seihon: SeihonFile {
                path: "/tmp/kizon/seihon.json".into(),
                format: "renkei-seihon/1",
            },
            layouts: "/tmp/kizon/layouts.toml".into(),
            legal_basis: "/tmp/kizon/legal_basis.toml".into(),
            kikan: vec![KikanRef {
                kikan_code: "9913208000000000".into(),
                dantai: "132080".into(),
                name: "調布市".into(),
                kind: "municipality",
            }],
            madoguchi: Some(renkei_scenarios::sut::config::Madoguchi {
                start: "08:30".into(),
                end: "17:15".into(),
            }),
        }),
    };
    let (schemas, index) = validator("renkei-config.schema.json", "");
    schemas
        .validate(&serde_json::to_value(&config).unwrap(), index)
        .unwrap_or_else(|e| panic!("{e:#}"));
}

#[test]
fn the_kizon_gyomu_examples_are_valid() {
    // docs/kizon-gyomu.md: the config fragment, the 正本, the job bodies and the four observations.
    let mut checked = Vec::new();
    for example in blocks("kizon-gyomu.md", "json") {
        let text = if example.trim_start().starts_with('"') {
            format!("{{{example}}}")
        } else {
            example.clone()
        };
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{example}"));
        let which = if value.get("chukan").is_some() {
            let (schemas, index) = validator("renkei-config.schema.json", "#/properties/kizon");
            schemas
                .validate(&value["kizon"], index)
                .unwrap_or_else(|e| panic!("{e:#}"));
            let (schemas, index) = validator("renkei-config.schema.json", "#/properties/chukan");
            schemas
                .validate(&value["chukan"], index)
                .unwrap_or_else(|e| panic!("{e:#}"));
            "config"
        } else if value.get("format").and_then(Value::as_str) == Some("renkei-seihon/1") {
            "seihon"
        } else if value.get("job").is_some() {
            "job body"
        } else if value.get("seihon_kensuu").is_some() {
            check_observation("fukuhon", &value).unwrap_or_else(|e| panic!("{e}\n{example}"));
            "fukuhon"
        } else if value["items"][0].get("irai_id").is_some() {
            check_observation("shoukai", &value).unwrap_or_else(|e| panic!("{e}\n{example}"));
            "shoukai"
        } else if value["items"][0].get("kiroku_kubun").is_some() {
            check_observation("kiroku", &value).unwrap_or_else(|e| panic!("{e}\n{example}"));
            "kiroku"
        } else if value.get("denbun").is_some() {
            check_observation("toiawase", &value).unwrap_or_else(|e| panic!("{e}\n{example}"));
            "toiawase"
        } else if value["items"][0].get("yuukou_kigen").is_some() {
            check_observation("teikyou", &value).unwrap_or_else(|e| panic!("{e}\n{example}"));
            "teikyou"
        } else if value["items"][0].get("kakunin_at").is_some() {
            check_observation("setsuzoku", &value).unwrap_or_else(|e| panic!("{e}\n{example}"));
            "setsuzoku"
        } else if value["items"][0].get("test_id").is_some() {
            check_observation("kikan_test", &value).unwrap_or_else(|e| panic!("{e}\n{example}"));
            "kikan_test"
        } else {
            panic!("an example of kizon-gyomu.md this test does not know: {example}");
        };
        checked.push(which);
    }
    for needed in [
        "config",
        "seihon",
        "job body",
        "fukuhon",
        "shoukai",
        "kiroku",
        "kikan_test",
        "setsuzoku",
    ] {
        assert!(
            checked.contains(&needed),
            "no {needed} example checked: {checked:?}"
        );
    }
}

#[test]
fn the_sut_schema_knows_every_job_renkei_calls() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(docs().join("schemas").join("sut.schema.json")).unwrap(),
    )
    .unwrap();
    let mut documented: Vec<&str> = schema["properties"]["jobs"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    documented.sort_unstable();
    let mut known = renkei_scenarios::sut::KNOWN_JOBS.to_vec();
    known.sort_unstable();
    assert_eq!(documented, known);
}
