//! The documented shapes: every observation is checked against `docs/schemas/observe.schema.json`
//! (compiled in), so what renkei calls a malformed answer is exactly what the docs say is one.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::Value;

const OBSERVE: &str = include_str!("../../../docs/schemas/observe.schema.json");
const OBSERVE_ID: &str = "https://renkei.invalid/schemas/observe.schema.json";
/// The observation paths, each a `$defs` entry of the schema.
pub const OBSERVATIONS: [&str; 13] = [
    "shinsei",
    "tsuchi",
    "ikkatsu",
    "himoduke",
    "jumin",
    "fugou",
    "fukuhon",
    "shoukai",
    "kiroku",
    "kikan_test",
    "teikyou",
    "toiawase",
    "setsuzoku",
];

struct Compiled {
    schemas: boon::Schemas,
    by_path: BTreeMap<&'static str, boon::SchemaIndex>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let json: Value = serde_json::from_str(OBSERVE).expect("observe.schema.json is JSON");
    compiler
        .add_resource(OBSERVE_ID, json)
        .expect("observe.schema.json is a schema");
    let by_path = OBSERVATIONS
        .iter()
        .map(|path| {
            let index = compiler
                .compile(&format!("{OBSERVE_ID}#/$defs/{path}"), &mut schemas)
                .expect("every observation has a definition");
            (*path, index)
        })
        .collect();
    Compiled { schemas, by_path }
});

/// Checks an observation's answer; `Err` says where it departs from the docs.
pub fn check_observation(path: &str, value: &Value) -> Result<(), String> {
    let compiled = &*COMPILED;
    let Some(index) = compiled.by_path.get(path) else {
        return Ok(());
    };
    compiled
        .schemas
        .validate(value, *index)
        .map_err(|e| format!("docs/schemas/observe.schema.json の「{path}」に合いません: {e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_schema_compiles_and_tells_good_from_bad() {
        assert!(check_observation("tsuchi", &json!({"items": []})).is_ok());
        let bad = json!({"items": [{"level": "注意", "title": "障害発生", "uketsuke_bango": null, "message": ""}]});
        let err = check_observation("tsuchi", &bad).unwrap_err();
        assert!(err.contains("tsuchi"), "{err}");
        assert!(check_observation("himoduke", &json!({"items": [], "last_file": null})).is_ok());
        assert!(
            check_observation(
                "himoduke",
                &json!({"items": [{"serial": "1"}], "last_file": null})
            )
            .is_err()
        );
    }
}
