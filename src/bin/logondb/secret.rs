//! Reading a password: from a prompt without echo when stdin is a terminal, else one line
//! of stdin; a `--password` value is accepted with a warning.

use std::io::{self, BufRead, IsTerminal};

use logondb::Password;

use crate::exit::CliError;

/// The warning printed when a password arrives on the command line.
const FLAG_WARNING: &str =
    "logondb: warning: --password leaks into the shell history and the process list; \
     prefer the prompt or stdin";

/// The password given with `--password`, or else one read from the terminal or stdin.
///
/// `prompt` is shown on the terminal only (never on stdout, which may be redirected).
pub fn read_password(flag: Option<Password>, prompt: &str) -> Result<Password, CliError> {
    if let Some(password) = flag {
        eprintln!("{FLAG_WARNING}");
        return Ok(password);
    }
    let stdin = io::stdin();
    let text = if stdin.is_terminal() {
        rpassword::prompt_password(prompt)?
    } else {
        read_line(&mut stdin.lock())?
    };
    if text.is_empty() {
        return Err(CliError::Usage(
            "password: empty; type it at the prompt, pipe it on stdin or pass --password".into(),
        ));
    }
    Ok(Password::from(text))
}

/// One line of `input` without its line ending.
fn read_line(input: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    // Truncate in place, so no second copy of the password is left in memory.
    let len = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(len);
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::read_line;

    #[test]
    fn reads_only_the_first_line_and_drops_its_ending() {
        let mut input = "Demo-Passw0rd! \r\nsecond line\n".as_bytes();
        assert_eq!(read_line(&mut input).unwrap(), "Demo-Passw0rd! ");
        assert_eq!(read_line(&mut input).unwrap(), "second line");
        assert_eq!(read_line(&mut input).unwrap(), "");
    }
}
