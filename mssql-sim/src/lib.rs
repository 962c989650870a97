pub fn x() {}
pub mod protocol;
pub mod server;
pub mod session;
pub mod types;
