//! The TDS 7.4 protocol: framing, handshake, request decoding and the
//! response token stream. It knows nothing about SQL: requests go to a
//! [`SessionHandler`](crate::session::SessionHandler).

mod connection;
mod cp1252;
mod cursor;
mod idle_poll;
mod login;
mod packet;
mod prelogin;
mod request;
mod rpc;
mod temporal;
mod token;
mod type_info;

pub(crate) use connection::serve;
pub(crate) use idle_poll::IdlePoll;
