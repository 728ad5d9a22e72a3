//! `google.protobuf.Timestamp` and `Duration` with the canonical proto3 JSON
//! form, exactly as grpcurl and every other protobuf runtime print them:
//! `"2026-11-29T03:00:00.120Z"` and `"1.500s"`, with 0, 3, 6 or 9 fractional
//! digits.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time: seconds and nanoseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Message)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second, 0..=999,999,999.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

/// A signed span of time.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::prost::Message)]
pub struct Duration {
    /// Whole seconds.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds, with the sign of `seconds`.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Self {
            seconds: t.timestamp(),
            nanos: t.timestamp_subsec_nanos() as i32,
        }
    }
}

impl TryFrom<Timestamp> for DateTime<Utc> {
    type Error = String;
    fn try_from(t: Timestamp) -> Result<Self, Self::Error> {
        u32::try_from(t.nanos)
            .ok()
            .and_then(|nanos| DateTime::from_timestamp(t.seconds, nanos))
            .ok_or_else(|| format!("timestamp {}.{:09} out of range", t.seconds, t.nanos))
    }
}

impl From<std::time::Duration> for Duration {
    fn from(d: std::time::Duration) -> Self {
        Self {
            seconds: d.as_secs() as i64,
            nanos: d.subsec_nanos() as i32,
        }
    }
}

impl TryFrom<Duration> for std::time::Duration {
    type Error = String;
    fn try_from(d: Duration) -> Result<Self, Self::Error> {
        match (u64::try_from(d.seconds), u32::try_from(d.nanos)) {
            (Ok(s), Ok(n)) => Ok(Self::new(s, n)),
            _ => Err(format!("negative duration {}s", d.seconds)),
        }
    }
}

/// Fractional digits as protobuf's JSON writes them: none, 3, 6 or 9.
fn fraction(nanos: u32) -> String {
    match nanos {
        0 => String::new(),
        n if n % 1_000_000 == 0 => format!(".{:03}", n / 1_000_000),
        n if n % 1_000 == 0 => format!(".{:06}", n / 1_000),
        n => format!(".{n:09}"),
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match DateTime::<Utc>::try_from(*self) {
            Ok(t) => {
                let whole = t.to_rfc3339_opts(SecondsFormat::Secs, true);
                let whole = whole.trim_end_matches('Z');
                write!(f, "{whole}{}Z", fraction(t.timestamp_subsec_nanos()))
            }
            Err(e) => f.write_str(&e),
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let negative = self.seconds < 0 || self.nanos < 0;
        let sign = if negative { "-" } else { "" };
        write!(
            f,
            "{sign}{}{}s",
            self.seconds.unsigned_abs(),
            fraction(self.nanos.unsigned_abs())
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        DateTime::<Utc>::try_from(*self).map_err(serde::ser::Error::custom)?;
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let t = DateTime::parse_from_rfc3339(&text).map_err(D::Error::custom)?;
        Ok(t.with_timezone(&Utc).into())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let body = text
            .strip_suffix('s')
            .ok_or_else(|| D::Error::custom(format!("duration {text:?} must end in 's'")))?;
        let (negative, body) = body.strip_prefix('-').map_or((false, body), |b| (true, b));
        let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
        let bad = || D::Error::custom(format!("invalid duration {text:?}"));
        let seconds: i64 = whole.parse().map_err(|_| bad())?;
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let nanos: i32 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<9}").parse().map_err(|_| bad())?
        };
        let sign = if negative { -1 } else { 1 };
        Ok(Self {
            seconds: sign * seconds,
            nanos: sign as i32 * nanos,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_forms() {
        let t = |seconds, nanos| Timestamp { seconds, nanos }.to_string();
        assert_eq!(t(1_764_385_200, 0), "2025-11-29T03:00:00Z");
        assert_eq!(t(1_764_385_200, 120_000_000), "2025-11-29T03:00:00.120Z");
        assert_eq!(t(1_764_385_200, 120_500_000), "2025-11-29T03:00:00.120500Z");
        assert_eq!(t(1_764_385_200, 1), "2025-11-29T03:00:00.000000001Z");
        let d = |seconds, nanos| Duration { seconds, nanos }.to_string();
        assert_eq!(d(0, 0), "0s");
        assert_eq!(d(1, 500_000_000), "1.500s");
        assert_eq!(d(0, 2_103_278), "0.002103278s");
        assert_eq!(d(-3, -1_000), "-3.000001s");
    }

    #[test]
    fn json_round_trips() {
        for d in [
            Duration {
                seconds: 3,
                nanos: 7,
            },
            Duration {
                seconds: -1,
                nanos: -500_000_000,
            },
            Duration::default(),
        ] {
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(
                serde_json::from_str::<Duration>(&json).unwrap(),
                d,
                "{json}"
            );
        }
        let t = Timestamp {
            seconds: 1_764_385_200,
            nanos: 42,
        };
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
        assert!(serde_json::from_str::<Duration>("\"1.5\"").is_err());
    }
}
