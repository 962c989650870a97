//! What the benchmarks share: an in-process server with the project's scripts.

use mssql_sim::Sim;

fn root(dir: &str) -> String {
    format!("{}/{dir}", env!("CARGO_MANIFEST_DIR"))
}

/// mssql-sim with migrations/ and sql/ applied, then `extra` if given.
pub fn sim_with(extra: Option<&str>) -> Sim {
    let mut b = Sim::builder()
        .script_dir(root("migrations"))
        .script_dir(root("sql"));
    if let Some(sql) = extra {
        b = b.script("bench.sql", sql);
    }
    b.start().expect("scripts apply")
}
