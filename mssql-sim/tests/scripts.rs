//! The project's own scripts apply on a fresh simulator.

use mssql_sim::Sim;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn project_scripts_apply() {
    let sim = Sim::builder()
        .script_dir(root().join("migrations"))
        .script_dir(root().join("sql"))
        .start();
    if let Err(e) = &sim {
        panic!("{e}");
    }
}
