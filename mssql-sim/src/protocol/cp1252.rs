//! Windows-1252, the code page of the SQL_Latin1_General_CP1 collation that
//! this server reports: how `varchar` bytes map to characters.

/// Characters of bytes 0x80..=0x9F; the five bytes that Windows-1252 leaves
/// undefined map to the C1 control of the same value, as Windows does.
const HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// Decodes Windows-1252 bytes (every byte has a character).
pub fn decode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// Encodes text as Windows-1252; characters outside the code page become
/// `?`, as SQL Server converts them.
pub fn encode(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| {
            if let Some(i) = HIGH.iter().position(|&h| h == c) {
                0x80 + i as u8
            } else {
                match u8::try_from(u32::from(c)) {
                    Ok(b) if !(0x80..=0x9F).contains(&b) => b,
                    _ => b'?',
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_code_page() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(encode(&decode(&all)), all);
        assert_eq!(decode(&[0x80, b'a', 0xE9]), "€aé");
        assert_eq!(encode("Ω"), b"?");
    }
}
