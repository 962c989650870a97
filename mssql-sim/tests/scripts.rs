//! The project's own scripts apply on a fresh simulator.

mod sim_common;

#[test]
fn project_scripts_apply() {
    // seeded() panics with the file, line and server error of a failing script.
    drop(sim_common::seeded());
}
