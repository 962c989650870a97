//! The `logondb` command-line tool (being written; see issue 4).

fn main() {}
