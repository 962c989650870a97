//! Reading a password: from a prompt without echo when stdin is a terminal, else one line
//! of stdin; a `--password` value is accepted with a warning.

use std::io::{self, BufRead, IsTerminal, Read};

use logondb::Password;
use zeroize::Zeroizing;

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
    let password = if stdin.is_terminal() {
        Password::from(rpassword::prompt_password(prompt)?)
    } else {
        read_line(&mut stdin.lock())?
    };
    if password.expose().is_empty() {
        return Err(CliError::Usage(
            "password: empty; type it at the prompt, pipe it on stdin or pass --password".into(),
        ));
    }
    Ok(password)
}

/// The most bytes [`read_line`] takes, line ending included. Its buffer is allocated at this
/// size up front, so it never grows (a growing `String` leaves freed, unzeroed copies).
const LINE_CAPACITY: usize = 1024;

/// One line of `input` without its line ending, read straight into a zeroizing buffer.
/// A line longer than [`LINE_CAPACITY`] is refused rather than read in pieces.
fn read_line(input: &mut impl BufRead) -> io::Result<Password> {
    let mut line = Zeroizing::new(String::with_capacity(LINE_CAPACITY));
    Read::take(input, LINE_CAPACITY as u64).read_line(&mut line)?;
    if line.len() == LINE_CAPACITY && !line.ends_with('\n') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("password: longer than {} bytes", LINE_CAPACITY - 1),
        ));
    }
    // Truncate in place, so no second copy of the password is left in memory.
    let len = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(len);
    // Moves the buffer (no copy) into the Password, which zeroes it on drop.
    Ok(Password::new(std::mem::take(&mut *line)))
}

#[cfg(test)]
mod tests {
    use super::{read_line, LINE_CAPACITY};

    fn line(input: &mut &[u8]) -> String {
        read_line(input).unwrap().expose().to_owned()
    }

    #[test]
    fn reads_only_the_first_line_and_drops_its_ending() {
        let mut input = "Demo-Passw0rd! \r\nsecond line\n".as_bytes();
        assert_eq!(line(&mut input), "Demo-Passw0rd! ");
        assert_eq!(line(&mut input), "second line");
        assert_eq!(line(&mut input), "");
    }

    #[test]
    fn a_line_that_does_not_fit_the_buffer_is_refused() {
        let longest = "x".repeat(LINE_CAPACITY - 1);
        let fits = format!("{longest}\n");
        assert_eq!(line(&mut fits.as_bytes()), longest);
        let too_long = format!("{longest}x\n");
        let err = read_line(&mut too_long.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }
}
