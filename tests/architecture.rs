//! The crate reads in layers, and no module imports one above it: element types, shapes, errors
//! and small utilities at the bottom; the backends, the device handle and the sample
//! generator; the tensor and autograd; ops; export, creation and display; nn, optim and data.

use std::path::Path;

/// Each top-level module of `src/` and its layer.
const LAYERS: [(&str, u8); 17] = [
    ("dtype", 0),
    ("shape", 0),
    ("error", 0),
    ("device_kind", 0),
    ("sync", 0),
    ("backend", 1),
    ("device", 1),
    ("random", 1),
    ("tensor", 2),
    ("autograd", 2),
    ("ops", 3),
    ("export", 4),
    ("creation", 4),
    ("display", 4),
    ("nn", 5),
    ("optim", 5),
    ("data", 5),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|&(_, l)| l)
}

/// Every `.rs` file below `dir`, with its path.
fn sources(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_module_imports_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut upward = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let top = relative
            .iter()
            .next()
            .unwrap()
            .to_string_lossy()
            .replace(".rs", "");
        if top == "lib" {
            continue;
        }
        let own = layer(&top).unwrap_or_else(|| panic!("src/{top} has no layer in LAYERS"));
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("crate::") {
            let name: String = text[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if layer(&name).is_some_and(|l| l > own) {
                upward.push(format!("{} uses crate::{name}", relative.display()));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports running up the layers: {upward:#?}"
    );
}
