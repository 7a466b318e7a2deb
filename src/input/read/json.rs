//! JSON documents parsed as streams (HAR, JSON arrays such as Cloudflare exports or the Claude
//! Code errors array, Cloudflare API responses and CloudTrail files), entry by entry, whatever
//! their line length. Each entry goes to the formats through [`dispatch`](crate::input::dispatch).

use std::fmt;
use std::io::BufRead;

use serde::de::{
    self, DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::Value;

use crate::input::dispatch;
use crate::input::sink::{Claim, Position, Sink};

#[derive(Debug, Clone, Copy)]
pub(crate) enum Document {
    Har,
    Array,
    Wrapped,
}

pub(crate) fn document(reader: &mut dyn BufRead, kind: Document, sink: &mut Sink) {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut state = Walk { sink, index: 0 };
    let result = match kind {
        Document::Har => (&mut de).deserialize_map(HarRoot(&mut state)),
        Document::Array => (&mut de).deserialize_seq(Elements {
            state: &mut state,
            har: false,
        }),
        Document::Wrapped => (&mut de).deserialize_map(ResultRoot(&mut state)),
    }
    .and_then(|()| de.end());
    if let Err(e) = result {
        let what = match kind {
            Document::Har => "malformed HAR",
            Document::Array | Document::Wrapped => "malformed JSON document",
        };
        let reason = if e.is_eof() {
            format!("{what}: cut off at line {} column {}", e.line(), e.column())
        } else {
            format!("{what}: {e}")
        };
        state.sink.warn(reason);
        state.sink.scan.lines.read += 1;
        state.sink.scan.lines.unparseable(what);
    }
}

/// The members that hold the records of a wrapped document: an API response's `result`
/// (Cloudflare), CloudTrail's `Records` (S3 delivery), `Events` (`lookup-events`) and
/// `QueryResultRows` (CloudTrail Lake).
pub(crate) const WRAPPED_ARRAYS: [&str; 4] = ["result", "Records", "Events", "QueryResultRows"];

struct Walk<'s, 'o> {
    sink: &'s mut Sink<'o>,
    index: u64,
}

struct HarRoot<'w, 's, 'o>(&'w mut Walk<'s, 'o>);
struct HarLog<'w, 's, 'o>(&'w mut Walk<'s, 'o>);
struct ResultRoot<'w, 's, 'o>(&'w mut Walk<'s, 'o>);
struct Elements<'w, 's, 'o> {
    state: &'w mut Walk<'s, 'o>,
    har: bool,
}

impl<'de> Visitor<'de> for HarRoot<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR object with a `log` member")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "log" {
                map.next_value_seed(HarLog(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for HarLog<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HarLog<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR `log` object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "entries" {
                map.next_value_seed(Elements {
                    state: &mut *self.0,
                    har: true,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> Visitor<'de> for ResultRoot<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with an array of records")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if WRAPPED_ARRAYS.contains(&key.as_str()) {
                map.next_value_seed(Elements {
                    state: &mut *self.0,
                    har: false,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Elements<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            let index = self.state.index;
            self.state.index += 1;
            let sink = &mut *self.state.sink;
            sink.scan.lines.read += 1;
            let claim = if self.har {
                dispatch::har_entry(value, index, sink)
            } else {
                dispatch::object(&value, Position::Entry(index), sink)
            };
            let stats = &mut sink.scan.lines;
            match claim {
                Claim::Relevant => stats.relevant += 1,
                Claim::NotMine | Claim::Noise => stats.noise += 1,
                Claim::Bad(reason) => stats.unparseable(reason),
            }
        }
        Ok(())
    }
}
