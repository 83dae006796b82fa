//! What the command-line tests share.

use serde_json::Value;

/// Checks `value` against one of the published JSON Schemas in docs/schemas/ (e.g.
/// `run.schema.json`), naming the file and the failing path.
pub fn validate_with_schema(file: &str, value: &Value) {
    let path = format!("{}/docs/schemas/{file}", env!("CARGO_MANIFEST_DIR"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let id = schema["$id"].as_str().unwrap().to_owned();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource(&id, schema).unwrap();
    let index = compiler.compile(&id, &mut schemas).unwrap();
    schemas
        .validate(value, index)
        .unwrap_or_else(|e| panic!("{file}: {e:#}"));
}
