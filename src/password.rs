//! Passwords: the plaintext newtype, policy validation (every violated rule), generation that
//! always passes the policy, and argon2id hashing to PHC strings.
//!
//! Hashing and verifying are CPU-bound (argon2id, m = 19456 KiB, t = 2, p = 1: the argon2
//! crate's defaults, OWASP's minimum); the database functions run them on tokio's blocking pool.

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::rngs::OsRng;
use rand::seq::SliceRandom;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::model::PasswordPolicy;
use crate::{Error, Result};

/// A plaintext password. `Debug` is redacted, there is no `Display`, the memory is zeroed on
/// drop. Read it with [`Password::expose`] only where it must leave the process.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a plaintext password.
    pub fn new(plaintext: impl Into<String>) -> Self {
        Password(Zeroizing::new(plaintext.into()))
    }

    /// The plaintext.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Password::new(s)
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Password::new(s)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A stored password hash (an argon2id PHC string). `Debug` is redacted; rows never
/// serialize it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string as read from the database.
    pub fn new(phc: impl Into<String>) -> Self {
        PasswordHash(phc.into())
    }

    /// The PHC string, for storing it.
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// One broken rule of a [`PasswordPolicy`]. Never carries the password or any part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum Violation {
    /// Fewer characters than `MinPasswordLength`.
    TooShort {
        /// The minimum.
        min: usize,
        /// The password's length.
        actual: usize,
    },
    /// More characters than `MaxPasswordLength`.
    TooLong {
        /// The maximum.
        max: usize,
        /// The password's length.
        actual: usize,
    },
    /// Fewer digits than `NumbersRequired`.
    TooFewDigits {
        /// Required count.
        required: usize,
        /// Count found.
        actual: usize,
    },
    /// Fewer upper-case letters than `UpperCaseRequired`.
    TooFewUpperCase {
        /// Required count.
        required: usize,
        /// Count found.
        actual: usize,
    },
    /// Fewer lower-case letters than `LowerCaseRequired`.
    TooFewLowerCase {
        /// Required count.
        required: usize,
        /// Count found.
        actual: usize,
    },
    /// Fewer special characters than `SpecialCharRequired`.
    TooFewSpecial {
        /// Required count.
        required: usize,
        /// Count found.
        actual: usize,
    },
    /// A character repeats more often in a row than `LimitRepeating` allows.
    RepeatingRun {
        /// The limit.
        limit: usize,
        /// The longest run found.
        found: usize,
    },
    /// A run of ascending or descending neighbours (abc, 321) is longer than `LimitAdjacent`.
    AdjacentRun {
        /// The limit.
        limit: usize,
        /// The longest run found.
        found: usize,
    },
    /// The password contains a character of `ExcludeCharList`.
    ExcludedCharacter {
        /// The policy's excluded characters.
        excluded: String,
    },
    /// The password contains a control character.
    ControlCharacter,
    /// The user changed the password fewer than `MinPasswordAge` days ago.
    TooSoon {
        /// The minimum age in days.
        min_days: i32,
    },
    /// The password is the current one or one of the last `PasswordHistoryNumber`.
    RecentlyUsed {
        /// How many previous passwords are remembered.
        history: usize,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::TooSoon { min_days } => {
                write!(
                    f,
                    "the password was changed less than {min_days} day(s) ago"
                )
            }
            Violation::TooShort { min, actual } => {
                write!(f, "shorter than {min} characters ({actual})")
            }
            Violation::TooLong { max, actual } => {
                write!(f, "longer than {max} characters ({actual})")
            }
            Violation::TooFewDigits { required, actual } => {
                write!(f, "needs {required} digit(s), has {actual}")
            }
            Violation::TooFewUpperCase { required, actual } => {
                write!(f, "needs {required} upper-case letter(s), has {actual}")
            }
            Violation::TooFewLowerCase { required, actual } => {
                write!(f, "needs {required} lower-case letter(s), has {actual}")
            }
            Violation::TooFewSpecial { required, actual } => {
                write!(f, "needs {required} special character(s), has {actual}")
            }
            Violation::RepeatingRun { limit, found } => write!(
                f,
                "repeats a character {found} times in a row (at most {limit})"
            ),
            Violation::AdjacentRun { limit, found } => write!(
                f,
                "has a run of {found} adjacent characters like abc or 321 (at most {limit})"
            ),
            Violation::ExcludedCharacter { excluded } => {
                write!(f, "contains one of the excluded characters {excluded:?}")
            }
            Violation::ControlCharacter => f.write_str("contains a control character"),
            Violation::RecentlyUsed { history } => {
                write!(f, "is the current password or one of the last {history}")
            }
        }
    }
}

/// A policy count as `usize` (negative values in the row mean 0).
fn count(v: i32) -> usize {
    usize::try_from(v).unwrap_or(0)
}

fn is_special(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control()
}

/// The longest run of one repeated character.
fn longest_repeat(chars: &[char]) -> usize {
    let mut best = 0;
    let mut run = 0;
    for (i, c) in chars.iter().enumerate() {
        run = if i > 0 && chars[i - 1] == *c {
            run + 1
        } else {
            1
        };
        best = best.max(run);
    }
    best
}

/// The step between two neighbours when both are digits or both letters (case-insensitive).
fn step(a: char, b: char) -> Option<i32> {
    let same_class = (a.is_ascii_digit() && b.is_ascii_digit())
        || (a.is_ascii_alphabetic() && b.is_ascii_alphabetic());
    same_class.then(|| b.to_ascii_lowercase() as i32 - a.to_ascii_lowercase() as i32)
}

/// The longest run of ascending or descending neighbours (`abc`, `321`, `XyZ`).
fn longest_adjacent(chars: &[char]) -> usize {
    let mut best = chars.len().min(1);
    let mut run = 1;
    let mut direction = 0;
    for pair in chars.windows(2) {
        match step(pair[0], pair[1]) {
            Some(d @ (1 | -1)) if d == direction => run += 1,
            Some(d @ (1 | -1)) => {
                direction = d;
                run = 2;
            }
            _ => {
                direction = 0;
                run = 1;
            }
        }
        best = best.max(run);
    }
    best
}

/// A character-class rule: required count, membership, the violation it reports.
type ClassRule = (i32, fn(&char) -> bool, fn(usize, usize) -> Violation);

/// Checks `password` against `policy` and returns every violated rule (empty = acceptable).
pub fn validate(policy: &PasswordPolicy, password: &Password) -> Vec<Violation> {
    let chars: Vec<char> = password.expose().chars().collect();
    let mut out = Vec::new();
    let len = chars.len();
    let (min, max) = (
        count(policy.min_password_length),
        count(policy.max_password_length),
    );
    if len < min {
        out.push(Violation::TooShort { min, actual: len });
    }
    if len > max {
        out.push(Violation::TooLong { max, actual: len });
    }
    let tally = |pred: fn(&char) -> bool| chars.iter().filter(|c| pred(c)).count();
    let classes: [ClassRule; 4] = [
        (
            policy.numbers_required,
            char::is_ascii_digit,
            |required, actual| Violation::TooFewDigits { required, actual },
        ),
        (
            policy.upper_case_required,
            |c| c.is_uppercase(),
            |required, actual| Violation::TooFewUpperCase { required, actual },
        ),
        (
            policy.lower_case_required,
            |c| c.is_lowercase(),
            |required, actual| Violation::TooFewLowerCase { required, actual },
        ),
        (
            policy.special_char_required,
            |c| is_special(*c),
            |required, actual| Violation::TooFewSpecial { required, actual },
        ),
    ];
    for (required, pred, violation) in classes {
        let (required, actual) = (count(required), tally(pred));
        if actual < required {
            out.push(violation(required, actual));
        }
    }
    let limit = count(policy.limit_repeating);
    let found = longest_repeat(&chars);
    if limit > 0 && found > limit {
        out.push(Violation::RepeatingRun { limit, found });
    }
    let limit = count(policy.limit_adjacent);
    let found = longest_adjacent(&chars);
    if limit > 0 && found > limit {
        out.push(Violation::AdjacentRun { limit, found });
    }
    if let Some(excluded) = policy
        .exclude_char_list
        .as_deref()
        .filter(|e| !e.is_empty())
    {
        if chars.iter().any(|c| excluded.contains(*c)) {
            out.push(Violation::ExcludedCharacter {
                excluded: excluded.to_owned(),
            });
        }
    }
    if chars.iter().any(|c| c.is_control()) {
        out.push(Violation::ControlCharacter);
    }
    out
}

/// Length of generated passwords when the policy allows it.
pub const GENERATED_LENGTH: usize = 20;

const DIGITS: &str = "0123456789";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
/// Specials that need no quoting in shells, URLs or SQL literals: no quotes, backslash, space.
const SPECIAL: &str = "!#$%&()*+,-./:;<=>?@[]^_{|}~";

/// Generates a random password (OS RNG) that passes `policy`: [`GENERATED_LENGTH`] characters
/// clamped to the policy's lengths, every required class present, no excluded character,
/// runs within the limits. A policy that cannot be met is an `Error::Config`.
pub fn generate(policy: &PasswordPolicy) -> Result<Password> {
    let excluded: HashSet<char> = policy
        .exclude_char_list
        .as_deref()
        .unwrap_or_default()
        .chars()
        .collect();
    let alphabet = |s: &str| -> Vec<char> { s.chars().filter(|c| !excluded.contains(c)).collect() };
    let classes = [
        (alphabet(DIGITS), count(policy.numbers_required)),
        (alphabet(UPPER), count(policy.upper_case_required)),
        (alphabet(LOWER), count(policy.lower_case_required)),
        (alphabet(SPECIAL), count(policy.special_char_required)),
    ];
    let any: Vec<char> = classes
        .iter()
        .flat_map(|(a, _)| a.iter().copied())
        .collect();
    let unsatisfiable = |why: String| {
        Error::Config(format!(
            "password policy {} cannot be met: {why}",
            policy.password_policy_id
        ))
    };
    if let Some((_, n)) = classes.iter().find(|(a, n)| a.is_empty() && *n > 0) {
        return Err(unsatisfiable(format!(
            "{n} characters required from a class the exclusions empty"
        )));
    }
    let required: usize = classes.iter().map(|(_, n)| n).sum();
    let max = count(policy.max_password_length);
    let length = GENERATED_LENGTH
        .max(count(policy.min_password_length))
        .max(required)
        .min(max);
    if required > length || length == 0 {
        return Err(unsatisfiable(format!(
            "{required} required characters, at most {max}"
        )));
    }
    // One slot per character: the class it must come from, `None` = any.
    let mut slots: Vec<Option<usize>> = classes
        .iter()
        .enumerate()
        .flat_map(|(i, (_, n))| (0..*n).map(move |_| Some(i)))
        .collect();
    slots.resize(length, None);
    let (rep_limit, adj_limit) = (count(policy.limit_repeating), count(policy.limit_adjacent));
    let fits = |chars: &[char]| {
        (rep_limit == 0 || longest_repeat(chars) <= rep_limit)
            && (adj_limit == 0 || longest_adjacent(chars) <= adj_limit)
    };
    let mut rng = OsRng;
    for _ in 0..64 {
        slots.shuffle(&mut rng);
        let mut chars: Vec<char> = Vec::with_capacity(length);
        for slot in &slots {
            let pool = slot.map_or(&any, |i| &classes[i].0);
            let mut candidates: Vec<char> = pool.clone();
            candidates.shuffle(&mut rng);
            let pick = candidates.into_iter().find(|c| {
                chars.push(*c);
                let ok = fits(&chars);
                chars.pop();
                ok
            });
            match pick {
                Some(c) => chars.push(c),
                None => break,
            }
        }
        let candidate = Password::new(chars.into_iter().collect::<String>());
        if validate(policy, &candidate).is_empty() {
            return Ok(candidate);
        }
    }
    Err(unsatisfiable("no candidate passed the run limits".into()))
}

/// Hashes with argon2id (argon2 crate defaults: m = 19456 KiB, t = 2, p = 1) and a random
/// salt from the OS RNG, producing a PHC string.
pub fn hash(password: &Password) -> Result<PasswordHash> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| PasswordHash(h.to_string()))
        .map_err(|e| Error::Config(format!("hashing failed: {e}")))
}

/// Whether `password` matches `hash`. A malformed hash never matches.
pub fn verify(password: &Password, hash: &PasswordHash) -> bool {
    argon2::PasswordHash::new(hash.as_phc()).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of a random password, verified against when a login name does not exist so that
/// the answer takes as long as for a real logon.
pub(crate) fn dummy_hash() -> &'static PasswordHash {
    static DUMMY: OnceLock<PasswordHash> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random: String = (0..GENERATED_LENGTH)
            .map(|_| *LOWER.as_bytes().choose(&mut OsRng).unwrap_or(&b'x') as char)
            .collect();
        hash(&Password::new(random)).unwrap_or_else(|_| PasswordHash::new(""))
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::PolicyScope;

    /// A policy with every rule switched on.
    pub(crate) fn strict() -> PasswordPolicy {
        PasswordPolicy {
            password_policy_id: 1,
            scope: PolicyScope::UiSource(1),
            min_password_length: 10,
            max_password_length: 24,
            numbers_required: 2,
            upper_case_required: 2,
            lower_case_required: 2,
            special_char_required: 2,
            limit_repeating: 2,
            limit_adjacent: 3,
            exclude_char_list: Some("<>|".into()),
            password_history_number: 5,
            min_password_age: 0,
            max_password_age: 90,
            invalid_attempts: 5,
            auto_reset_hours: 24,
            new_pwd_expiration_hours: 72,
            dormant_days: 180,
            login_min_length: 3,
            login_max_length: 64,
        }
    }

    fn check(p: &PasswordPolicy, pw: &str) -> Vec<Violation> {
        validate(p, &Password::new(pw))
    }

    #[test]
    fn a_good_password_passes() {
        assert_eq!(check(&strict(), "Ab1!Cd2@efX"), vec![]);
    }

    #[test]
    fn each_rule_fails_alone() {
        let p = strict();
        let cases: [(&str, Violation); 10] = [
            ("Ab1!Cd2@e", Violation::TooShort { min: 10, actual: 9 }),
            (
                "Ab1!Cd2@efXAb1!Cd2@efXAb1",
                Violation::TooLong {
                    max: 24,
                    actual: 25,
                },
            ),
            (
                "Ab1!Cd@@efX",
                Violation::TooFewDigits {
                    required: 2,
                    actual: 1,
                },
            ),
            (
                "Ab1!cd2@efx",
                Violation::TooFewUpperCase {
                    required: 2,
                    actual: 1,
                },
            ),
            (
                "AB1!CD2@EfX",
                Violation::TooFewLowerCase {
                    required: 2,
                    actual: 1,
                },
            ),
            (
                "Ab1!Cd2eefX",
                Violation::TooFewSpecial {
                    required: 2,
                    actual: 1,
                },
            ),
            (
                "Ab1!Cd2@eeeX",
                Violation::RepeatingRun { limit: 2, found: 3 },
            ),
            (
                "Ab1!Cd2@wxyz",
                Violation::AdjacentRun { limit: 3, found: 4 },
            ),
            (
                "Ab1!Cd2@ef|X",
                Violation::ExcludedCharacter {
                    excluded: "<>|".into(),
                },
            ),
            ("Ab1!Cd2@ef\tX", Violation::ControlCharacter),
        ];
        for (pw, expected) in cases {
            assert_eq!(check(&p, pw), vec![expected], "{pw:?}");
        }
    }

    #[test]
    fn every_violated_rule_is_reported() {
        let v = check(&strict(), "aaaa");
        assert!(
            v.contains(&Violation::TooShort { min: 10, actual: 4 }),
            "{v:?}"
        );
        assert!(v.contains(&Violation::TooFewDigits {
            required: 2,
            actual: 0
        }));
        assert!(v.contains(&Violation::TooFewUpperCase {
            required: 2,
            actual: 0
        }));
        assert!(v.contains(&Violation::TooFewSpecial {
            required: 2,
            actual: 0
        }));
        assert!(v.contains(&Violation::RepeatingRun { limit: 2, found: 4 }));
        assert_eq!(v.len(), 5);
    }

    #[test]
    fn zero_limits_mean_no_limit() {
        let mut p = strict();
        p.limit_repeating = 0;
        p.limit_adjacent = 0;
        assert_eq!(check(&p, "Ab1!Cd2@eeeeabcdefX"), vec![]);
    }

    #[test]
    fn adjacent_runs_count_both_directions_and_cases() {
        assert_eq!(longest_adjacent(&"x9876y".chars().collect::<Vec<_>>()), 4);
        assert_eq!(longest_adjacent(&"aBcD".chars().collect::<Vec<_>>()), 4);
        assert_eq!(longest_adjacent(&"abab".chars().collect::<Vec<_>>()), 2);
        assert_eq!(longest_adjacent(&"a1b2".chars().collect::<Vec<_>>()), 1);
        assert_eq!(longest_adjacent(&[]), 0);
    }

    #[test]
    fn generated_passwords_always_pass() {
        let mut policies = vec![strict()];
        let mut tight = strict();
        tight.min_password_length = 8;
        tight.max_password_length = 8;
        tight.limit_repeating = 1;
        tight.limit_adjacent = 1;
        tight.exclude_char_list = Some("0123456789!#$%&()*+,-./:;<=>?@[]^_{|}".into());
        tight.numbers_required = 0;
        tight.special_char_required = 1; // only '~' is left
        policies.push(tight);
        let mut lax = strict();
        (lax.numbers_required, lax.upper_case_required) = (0, 0);
        (lax.lower_case_required, lax.special_char_required) = (0, 0);
        (lax.min_password_length, lax.max_password_length) = (1, 128);
        policies.push(lax);
        let mut long = strict();
        (long.min_password_length, long.max_password_length) = (64, 64);
        (long.numbers_required, long.special_char_required) = (20, 20);
        policies.push(long);
        for p in &policies {
            for _ in 0..1500 {
                let pw = generate(p).unwrap();
                assert_eq!(validate(p, &pw), vec![], "policy {p:?}");
            }
        }
    }

    #[test]
    fn generation_reports_an_impossible_policy() {
        let mut p = strict();
        p.max_password_length = 7; // 8 characters required
        assert!(matches!(generate(&p), Err(Error::Config(_))));
        let mut p = strict();
        p.exclude_char_list = Some(DIGITS.into());
        assert!(matches!(generate(&p), Err(Error::Config(_))));
    }

    #[test]
    fn hashes_are_argon2id_phc_and_verify() {
        let pw = Password::new("Demo-Passw0rd!");
        let h = hash(&pw).unwrap();
        assert!(
            h.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            h.as_phc()
        );
        assert!(verify(&pw, &h));
        assert!(!verify(&Password::new("Demo-Passw0rd?"), &h));
        assert!(!verify(&pw, &PasswordHash::new("not a phc string")));
        assert_ne!(hash(&pw).unwrap(), h, "salts differ");
    }

    #[test]
    fn debug_is_redacted() {
        let pw = Password::new("Demo-Passw0rd!");
        let h = hash(&pw).unwrap();
        let shown = format!("{pw:?} {h:?}");
        assert!(!shown.contains("Demo"), "{shown}");
        assert!(!shown.contains("argon2"), "{shown}");
        let v = Violation::ExcludedCharacter {
            excluded: "|".into(),
        };
        assert!(!v.to_string().is_empty());
    }
}
