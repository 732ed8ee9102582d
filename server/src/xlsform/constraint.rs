//! A `constraint` cell as a range: comparisons of `.` with numbers joined by `and`, such as
//! `. >= 0 and . <= 100` or `(0 <= .)`. Anything else is refused: a questionnaire carries
//! `min` and `max`, nothing more.

/// The bounds a constraint sets: lowest and highest allowed.
#[derive(Debug, PartialEq)]
pub(super) struct Range {
    /// Lowest allowed.
    pub min: Option<f64>,
    /// Highest allowed.
    pub max: Option<f64>,
}

const SHAPE: &str = "only ranges like `. >= 0 and . <= 100` can be carried";

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Dot,
    Number(f64),
    Op(&'static str),
    And,
    Open,
    Close,
}

/// Reads a constraint; the error says what in it cannot be carried.
pub(super) fn range(text: &str) -> Result<Range, String> {
    let tokens = tokens(text)?;
    let mut range = Range {
        min: None,
        max: None,
    };
    let mut rest = tokens.as_slice();
    loop {
        rest = comparison(rest, &mut range)?;
        match rest {
            [] => break,
            [Token::And, more @ ..] => rest = more,
            _ => return Err(format!("{SHAPE}, joined by `and`")),
        }
    }
    if let (Some(min), Some(max)) = (range.min, range.max) {
        if min > max {
            return Err(format!("the range is empty: {min} is above {max}"));
        }
    }
    Ok(range)
}

/// One comparison, possibly in parentheses; returns the tokens after it.
fn comparison<'t>(tokens: &'t [Token], range: &mut Range) -> Result<&'t [Token], String> {
    if let [Token::Open, inner @ ..] = tokens {
        let close = inner
            .iter()
            .position(|t| *t == Token::Close)
            .ok_or_else(|| "a parenthesis is not closed".to_string())?;
        let rest = comparison(&inner[..close], range)?;
        if !rest.is_empty() {
            return Err(format!("{SHAPE}: one comparison per parenthesis"));
        }
        return Ok(&inner[close + 1..]);
    }
    let (op, bound, rest) = match tokens {
        [Token::Dot, Token::Op(op), Token::Number(n), rest @ ..] => (*op, *n, rest),
        // `0 <= .` reads as `. >= 0`.
        [Token::Number(n), Token::Op(op), Token::Dot, rest @ ..] => (mirror(op), *n, rest),
        _ => return Err(SHAPE.to_string()),
    };
    let slot = match op {
        ">=" => &mut range.min,
        "<=" => &mut range.max,
        ">" | "<" => {
            return Err(format!(
                "{SHAPE}: the bounds are included, so write >= or <= instead of {op}"
            ))
        }
        _ => return Err(format!("{SHAPE}: {op} is not a bound")),
    };
    if slot.is_some() {
        return Err(format!("{SHAPE}: one lowest and one highest value at most"));
    }
    *slot = Some(bound);
    Ok(rest)
}

fn mirror(op: &'static str) -> &'static str {
    match op {
        ">=" => "<=",
        "<=" => ">=",
        ">" => "<",
        "<" => ">",
        other => other,
    }
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let digit_next = next.is_some_and(|n| n.is_ascii_digit());
        match c {
            c if c.is_whitespace() => i += 1,
            '(' | ')' => {
                tokens.push(if c == '(' { Token::Open } else { Token::Close });
                i += 1;
            }
            '.' if !digit_next => {
                tokens.push(Token::Dot);
                i += 1;
            }
            '>' | '<' | '=' | '!' => {
                let (op, len) = match (c, next) {
                    ('>', Some('=')) => (">=", 2),
                    ('<', Some('=')) => ("<=", 2),
                    ('!', Some('=')) => ("!=", 2),
                    ('>', _) => (">", 1),
                    ('<', _) => ("<", 1),
                    ('=', _) => ("=", 1),
                    _ => return Err(format!("{SHAPE}, not {text:?}")),
                };
                tokens.push(Token::Op(op));
                i += len;
            }
            c if c.is_ascii_digit()
                || c == '.'
                || ((c == '-' || c == '+') && (digit_next || next == Some('.'))) =>
            {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let number: String = chars[start..i].iter().collect();
                let value = number
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| format!("{number:?} is not a number"))?;
                tokens.push(Token::Number(value));
            }
            c if c.is_alphabetic() || c == '$' || c == '{' || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || "${}_-:".contains(chars[i]))
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if word != "and" {
                    return Err(format!("{SHAPE}, and {word:?} is no part of one"));
                }
                tokens.push(Token::And);
            }
            other => return Err(format!("{SHAPE}, and {other:?} is no part of one")),
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(text: &str) -> Result<(Option<f64>, Option<f64>), String> {
        range(text).map(|r| (r.min, r.max))
    }

    #[test]
    fn ranges_are_read() {
        assert_eq!(bounds(". >= 0 and . <= 100"), Ok((Some(0.0), Some(100.0))));
        assert_eq!(bounds(".>=-5.5"), Ok((Some(-5.5), None)));
        assert_eq!(bounds("(0 <= .) and (. <= .5)"), Ok((Some(0.0), Some(0.5))));
        assert_eq!(bounds(". <= 10"), Ok((None, Some(10.0))));
    }

    #[test]
    fn anything_else_is_refused() {
        for text in [
            ". > 0",
            ". >= 0 or . <= 5",
            "regex(., '^[0-9]+$')",
            ". >= ${min_value}",
            ". != 3",
            ". >= 1 and . >= 2",
            ". >= 10 and . <= 1",
            "(. >= 1",
            ". >= 1 and",
            "",
        ] {
            assert!(bounds(text).is_err(), "{text}");
        }
    }
}
