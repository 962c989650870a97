//! Splits T-SQL text into tokens, keeping the line of each for error messages.

use crate::types::ServerMessage;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A bare or bracketed identifier or keyword; `quoted` for `[x]` / `"x"`.
    Ident {
        text: String,
        quoted: bool,
    },
    /// `@name` (local) or `@@name` (global), with the sigils.
    Var(String),
    Int(i64),
    /// A numeric literal with a point or exponent, kept as written.
    Number(String),
    Str(String),
    Bin(Vec<u8>),
    Sym(&'static str),
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub line: i32,
}

const SYMBOLS: [&str; 22] = [
    "<>", "!=", ">=", "<=", "!<", "!>", "+=", "-=", "*=", "/=", "(", ")", ",", ";", ".", "=", "<",
    ">", "+", "-", "*", "/",
];

pub fn tokenize(sql: &str, first_line: i32) -> Result<Vec<Token>, ServerMessage> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = first_line;
    let syntax = |line: i32, near: &str| {
        let mut m = ServerMessage::error(102, format!("Incorrect syntax near '{near}'."));
        m.class = 15;
        m.line = line;
        m
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            // T-SQL block comments nest.
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
            if depth != 0 {
                return Err(ServerMessage::error(113, "Missing end comment mark '*/'."));
            }
            continue;
        }
        let start_line = line;
        let push = |out: &mut Vec<Token>, tok: Tok| {
            out.push(Token {
                tok,
                line: start_line,
            })
        };
        // N'...' and '...'
        let national = (c == 'N' || c == 'n') && chars.get(i + 1) == Some(&'\'');
        if c == '\'' || national {
            i += if national { 2 } else { 1 };
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None => {
                        let mut m = ServerMessage::error(
                            105,
                            format!("Unclosed quotation mark after the character string '{s}'."),
                        );
                        m.class = 15;
                        m.line = start_line;
                        return Err(m);
                    }
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        if ch == '\n' {
                            line += 1;
                        }
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            push(&mut out, Tok::Str(s));
            continue;
        }
        if c == '[' || c == '"' {
            let close = if c == '[' { ']' } else { '"' };
            i += 1;
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None => return Err(syntax(start_line, &s)),
                    Some(&ch) if ch == close && chars.get(i + 1) == Some(&close) => {
                        s.push(close);
                        i += 2;
                    }
                    Some(&ch) if ch == close => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            push(
                &mut out,
                Tok::Ident {
                    text: s,
                    quoted: true,
                },
            );
            continue;
        }
        if c == '0' && matches!(chars.get(i + 1), Some('x') | Some('X')) {
            i += 2;
            let start = i;
            while i < chars.len() && chars[i].is_ascii_hexdigit() {
                i += 1;
            }
            let hex: String = chars[start..i].iter().collect();
            let padded = if hex.len() % 2 == 1 {
                format!("0{hex}")
            } else {
                hex
            };
            let bytes = (0..padded.len())
                .step_by(2)
                .map(|k| u8::from_str_radix(&padded[k..k + 2], 16).unwrap_or(0))
                .collect();
            push(&mut out, Tok::Bin(bytes));
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let mut decimal = false;
            if chars.get(i) == Some(&'.') {
                decimal = true;
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if matches!(chars.get(i), Some('e') | Some('E')) {
                decimal = true;
                i += 1;
                if matches!(chars.get(i), Some('+') | Some('-')) {
                    i += 1;
                }
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let text: String = chars[start..i].iter().collect();
            match (decimal, text.parse::<i64>()) {
                (false, Ok(v)) => push(&mut out, Tok::Int(v)),
                _ => push(&mut out, Tok::Number(text)),
            }
            continue;
        }
        if c == '@' || c.is_alphabetic() || c == '_' || c == '#' {
            let start = i;
            i += 1;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '@' | '#' | '$'))
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            if text.starts_with('@') {
                push(&mut out, Tok::Var(text));
            } else {
                push(
                    &mut out,
                    Tok::Ident {
                        text,
                        quoted: false,
                    },
                );
            }
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        if let Some(sym) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            i += sym.chars().count();
            push(&mut out, Tok::Sym(sym));
            continue;
        }
        if c == '%' {
            i += 1;
            push(&mut out, Tok::Sym("%"));
            continue;
        }
        return Err(syntax(start_line, &c.to_string()));
    }
    Ok(out)
}
