//! 统一社会信用代码 (Unified Social Credit Code), GB 32100-2015.
//!
//! 18 characters from a 31-character alphabet (digits and capital letters
//! without I, O, Z, S, V): registration authority (1), organization category (1),
//! administrative division (6 digits), organization code (9) and a check
//! character computed as a weighted sum modulo 31.

use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uscc(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsccError {
    Length(usize),
    Character { position: usize, found: char },
    Division,
    CheckCharacter { expected: char, found: char },
}

impl fmt::Display for UsccError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length(n) => write!(
                f,
                "应为 18 位，实际 {n} 位 (must be 18 characters, got {n})"
            ),
            Self::Character { position, found } => write!(
                f,
                "第 {position} 位字符 '{found}' 不合法 (character {position} '{found}' is not allowed)"
            ),
            Self::Division => write!(
                f,
                "第 3–8 位行政区划码应为数字 (characters 3–8 must be the digits of an administrative division code)"
            ),
            Self::CheckCharacter { expected, found } => write!(
                f,
                "校验位错误：应为 '{expected}'，实际 '{found}' (check character is '{found}', expected '{expected}')"
            ),
        }
    }
}

impl std::error::Error for UsccError {}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters (which must be valid).
fn check_character(first17: &[u8]) -> Option<char> {
    let mut sum = 0u32;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        sum += value_of(*c)? * w;
    }
    let c = (31 - sum % 31) % 31;
    Some(ALPHABET[c as usize] as char)
}

impl Uscc {
    /// Parses a code; surrounding whitespace is ignored and lower-case letters
    /// are accepted (people type them), the stored form is upper case.
    pub fn parse(input: &str) -> Result<Self, UsccError> {
        let code = input.trim().to_ascii_uppercase();
        let n = code.chars().count();
        if n != 18 {
            return Err(UsccError::Length(n));
        }
        let bytes = code.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if value_of(b).is_none() {
                return Err(UsccError::Character {
                    position: i + 1,
                    found: b as char,
                });
            }
        }
        if !bytes[2..8].iter().all(u8::is_ascii_digit) {
            return Err(UsccError::Division);
        }
        let expected = check_character(&bytes[..17]).ok_or(UsccError::Length(n))?;
        let found = bytes[17] as char;
        if expected != found {
            return Err(UsccError::CheckCharacter { expected, found });
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Completes 17 characters with their check character (used by the corpus
    /// generator and tests to make valid codes).
    pub fn complete(first17: &str) -> Option<Self> {
        let upper = first17.to_ascii_uppercase();
        if upper.len() != 17 {
            return None;
        }
        let check = check_character(upper.as_bytes())?;
        Self::parse(&format!("{upper}{check}")).ok()
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_with_the_right_check_character_is_accepted() {
        // Check character worked out by hand for 91140000110114391 → W.
        let code = Uscc::parse("91140000110114391W");
        assert_eq!(code.map(|c| c.to_string()), Ok("91140000110114391W".into()));
    }

    #[test]
    fn lower_case_and_spaces_are_normalised() {
        let code = Uscc::parse(" 91140000110114391w ");
        assert_eq!(code.map(|c| c.to_string()), Ok("91140000110114391W".into()));
    }

    #[test]
    fn a_wrong_check_character_names_the_expected_one() {
        assert_eq!(
            Uscc::parse("91140000110114391X"),
            Err(UsccError::CheckCharacter {
                expected: 'W',
                found: 'X'
            })
        );
    }

    #[test]
    fn letters_outside_the_alphabet_are_rejected() {
        // I, O, S, V, Z are not in the GB 32100 alphabet.
        assert!(matches!(
            Uscc::parse("9114000011011439IW"),
            Err(UsccError::Character { position: 17, .. })
        ));
    }

    #[test]
    fn wrong_lengths_are_rejected() {
        assert_eq!(Uscc::parse("9114"), Err(UsccError::Length(4)));
        assert_eq!(
            Uscc::parse("91140000110114391WW"),
            Err(UsccError::Length(19))
        );
    }

    #[test]
    fn the_division_code_must_be_digits() {
        assert_eq!(Uscc::parse("91A40000110114391W"), Err(UsccError::Division));
    }

    #[test]
    fn complete_adds_a_check_character_that_parses() {
        let done = Uscc::complete("91140100MA0K12345");
        assert!(done.is_some());
    }
}
