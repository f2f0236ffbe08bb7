//! Human sizes for `--memory`: `512M`, `1G`, `1GiB`, `800000000`.

use anyhow::{bail, Context, Result};

/// Parses a size in bytes with an optional K/M/G/T suffix (binary
/// multiples; an optional trailing `B` or `iB` is accepted).
///
/// # Errors
///
/// When the text is not a number with a known suffix, or overflows.
pub fn parse(s: &str) -> Result<usize> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix("ib"))
        .or_else(|| t.strip_suffix('B'))
        .or_else(|| t.strip_suffix('b'))
        .unwrap_or(t);
    let (num, mult) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1usize << 10),
        Some('M') => (&t[..t.len() - 1], 1 << 20),
        Some('G') => (&t[..t.len() - 1], 1 << 30),
        Some('T') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    let n: usize = num
        .trim()
        .parse()
        .with_context(|| format!("{s:?} is not a size (examples: 512M, 1G, 1048576)"))?;
    match n.checked_mul(mult) {
        Some(v) if v > 0 => Ok(v),
        Some(_) => bail!("size {s:?} must be positive"),
        None => bail!("size {s:?} is too large"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        assert_eq!(super::parse("1G").unwrap(), 1 << 30);
        assert_eq!(super::parse("512MiB").unwrap(), 512 << 20);
        assert_eq!(super::parse("1000").unwrap(), 1000);
        assert!(super::parse("x").is_err());
        assert!(super::parse("0").is_err());
    }
}
