//! docs/README.md is where a vendor starts: it must link every page and every machine-readable
//! specification in docs/.

use std::path::Path;

#[test]
fn the_docs_index_links_every_page() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let index = std::fs::read_to_string(docs.join("README.md")).unwrap();
    let mut pages = Vec::new();
    for dir in [docs.clone(), docs.join("openapi")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let is_page = matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("md" | "yaml")
            );
            if is_page && path.file_name().unwrap() != "README.md" {
                pages.push(
                    path.strip_prefix(&docs)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    assert!(pages.len() >= 15, "{pages:?}");
    for page in pages {
        assert!(
            index.contains(&format!("]({page})")),
            "docs/README.md does not link {page}"
        );
    }
}
