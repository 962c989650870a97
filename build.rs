//! Compiles migrations/ and sql/ into the crate: writes `$OUT_DIR/scripts.rs` with two
//! slices of `(file name, include_str!(path))`, read by `logondb::migrate::Scripts::embedded`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

fn sql_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if dir.is_dir() {
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "sql") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn entries(files: &[PathBuf], prefix: &str) -> String {
    files
        .iter()
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            format!(
                "    ({:?}, include_str!({:?})),\n",
                format!("{prefix}{name}"),
                path.display().to_string()
            )
        })
        .collect()
}

fn main() -> io::Result<()> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let migrations = root.join("migrations");
    let procedures = root.join("sql").join("procedures");
    let seed = root.join("sql").join("seed");
    for dir in [&migrations, &procedures, &seed] {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    let mut repeatable = entries(&sql_files(&procedures)?, "procedures/");
    repeatable.push_str(&entries(&sql_files(&seed)?, "seed/"));
    let out = format!(
        "/// migrations/*.sql\npub(crate) static MIGRATIONS: &[(&str, &str)] = &[\n{}];\n\
         /// sql/procedures/*.sql then sql/seed/*.sql\npub(crate) static REPEATABLE: &[(&str, &str)] = &[\n{}];\n",
        entries(&sql_files(&migrations)?, ""),
        repeatable
    );
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("scripts.rs");
    fs::write(dest, out)
}
