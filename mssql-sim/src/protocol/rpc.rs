//! RPC requests: one or more procedure calls with typed parameters.

use super::cursor::{Cursor, DecodeError, DecodeResult};
use super::request::skip_all_headers;
use super::type_info::read_typed_value;
use crate::session::{RpcCall, RpcParam, RpcTarget};

/// Procedure id of sp_executesql.
const SP_EXECUTESQL: u16 = 10;
/// NameLenProcID value announcing a procedure id instead of a name.
const PROC_ID_FOLLOWS: u16 = 0xFFFF;
/// Parameter status bit: by reference (OUTPUT).
const BY_REF: u8 = 0x01;
/// Bytes that separate batched RPCs: BatchFlag (7.1 and 7.2+) and NoExecFlag.
const SEPARATORS: [u8; 3] = [0x80, 0xFF, 0xFE];

/// Parses every RPC of a request message.
pub fn parse_rpcs(payload: &[u8]) -> DecodeResult<Vec<RpcCall>> {
    let mut cur = Cursor::new(payload);
    skip_all_headers(&mut cur)?;
    let mut calls = vec![parse_call(&mut cur)?];
    while let Some(b) = cur.peek_u8() {
        if !SEPARATORS.contains(&b) {
            return Err(DecodeError::malformed(format!(
                "byte {b:#04x} after an RPC parameter list"
            )));
        }
        cur.skip(1)?;
        if cur.remaining() > 0 {
            calls.push(parse_call(&mut cur)?);
        }
    }
    Ok(calls)
}

fn parse_call(cur: &mut Cursor<'_>) -> DecodeResult<RpcCall> {
    let target = match cur.u16()? {
        PROC_ID_FOLLOWS => match cur.u16()? {
            SP_EXECUTESQL => RpcTarget::ExecuteSql,
            id => RpcTarget::ProcId(id),
        },
        0 => return Err(DecodeError::malformed("RPC with an empty procedure name")),
        len => {
            let name = cur.utf16(usize::from(len))?;
            if name.eq_ignore_ascii_case("sp_executesql")
                || name.eq_ignore_ascii_case("sys.sp_executesql")
            {
                RpcTarget::ExecuteSql
            } else {
                RpcTarget::Named(name)
            }
        }
    };
    let _options = cur.u16()?;
    let mut params = Vec::new();
    while cur.peek_u8().is_some_and(|b| !SEPARATORS.contains(&b)) {
        let name = cur.b_varchar()?;
        let status = cur.u8()?;
        let (ty, value) = read_typed_value(cur)?;
        params.push(RpcParam {
            name,
            output: status & BY_REF != 0,
            ty,
            value,
        });
    }
    Ok(RpcCall { target, params })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{SqlType, Value};

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn named_call(name: &str) -> Vec<u8> {
        let mut p = (name.len() as u16).to_le_bytes().to_vec();
        p.extend(utf16(name));
        p.extend_from_slice(&[0, 0]);
        p.push(3);
        p.extend(utf16("@rc"));
        p.extend_from_slice(&[BY_REF, 0x26, 4, 4, 7, 0, 0, 0]);
        p
    }

    #[test]
    fn batched_calls_by_id_and_name() {
        let mut p = vec![4, 0, 0, 0, 0xFF, 0xFF, 10, 0, 0, 0, 0, 0, 0x1F];
        p.push(0xFF);
        p.extend(named_call("dbo.Unlock"));
        p.push(0x80);
        p.extend(named_call("sp_executesql"));
        let calls = parse_rpcs(&p).unwrap();
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[0].target, RpcTarget::ExecuteSql);
        assert_eq!(calls[0].params[0].ty, None);
        assert_eq!(calls[1].target, RpcTarget::Named("dbo.Unlock".into()));
        assert_eq!(calls[2].target, RpcTarget::ExecuteSql);
        let param = &calls[1].params[0];
        assert_eq!((param.name.as_str(), param.output), ("@rc", true));
        assert_eq!(
            (&param.ty, &param.value),
            (&Some(SqlType::Int), &Value::Int(7))
        );
    }

    #[test]
    fn truncated_calls_are_malformed() {
        let mut p = vec![4, 0, 0, 0];
        p.extend(named_call("dbo.P"));
        let without_params = 4 + 2 + 10 + 2;
        for cut in (4..p.len()).filter(|c| *c != without_params) {
            assert!(parse_rpcs(&p[..cut]).is_err(), "cut at {cut}");
        }
        assert!(parse_rpcs(&p).is_ok());
    }
}
