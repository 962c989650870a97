//! The request messages other than RPC: SQL batch and transaction manager,
//! and the ALL_HEADERS block that starts every request.

use super::cursor::{utf16_to_string, Cursor, DecodeError, DecodeResult};
use crate::session::TranRequest;

const TM_BEGIN_XACT: u16 = 5;
const TM_COMMIT_XACT: u16 = 7;
const TM_ROLLBACK_XACT: u16 = 8;

/// Skips ALL_HEADERS (a 4-byte total length that counts itself).
pub fn skip_all_headers(cur: &mut Cursor<'_>) -> DecodeResult<()> {
    let total = cur.u32()? as usize;
    if total < 4 {
        return Err(DecodeError::malformed(format!(
            "ALL_HEADERS length {total}"
        )));
    }
    cur.skip(total - 4)
}

/// The text of a SQL batch.
pub fn parse_batch(payload: &[u8]) -> DecodeResult<String> {
    let mut cur = Cursor::new(payload);
    skip_all_headers(&mut cur)?;
    let rest = cur.bytes(cur.remaining())?;
    utf16_to_string(rest)
}

/// A transaction-manager request; only begin, commit and rollback are served.
pub fn parse_transaction(payload: &[u8]) -> DecodeResult<TranRequest> {
    let mut cur = Cursor::new(payload);
    skip_all_headers(&mut cur)?;
    match cur.u16()? {
        TM_BEGIN_XACT => Ok(TranRequest::Begin),
        TM_COMMIT_XACT => Ok(TranRequest::Commit),
        TM_ROLLBACK_XACT => Ok(TranRequest::Rollback),
        other => Err(DecodeError::unsupported(format!(
            "transaction-manager request type {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_text_after_headers() {
        let mut p = vec![22, 0, 0, 0, 18, 0, 0, 0, 2, 0];
        p.extend_from_slice(&[0; 12]);
        p.extend_from_slice(&[b'h', 0, b'i', 0]);
        assert_eq!(parse_batch(&p).unwrap(), "hi");
        assert!(parse_batch(&[3, 0, 0, 0]).is_err());
        assert!(parse_batch(&[200, 0, 0, 0]).is_err());
    }

    #[test]
    fn transaction_requests() {
        let req = |ty: u16| {
            let mut p = vec![4, 0, 0, 0];
            p.extend_from_slice(&ty.to_le_bytes());
            parse_transaction(&p)
        };
        assert_eq!(req(5).unwrap(), TranRequest::Begin);
        assert_eq!(req(7).unwrap(), TranRequest::Commit);
        assert_eq!(req(8).unwrap(), TranRequest::Rollback);
        assert!(matches!(req(6), Err(DecodeError::Unsupported(_))));
    }
}
