//! What a worker does with one part of a file: it takes the part's final failure records as
//! the scan goes, classifies, filters and folds them, and keeps those that wait for the end of
//! the run.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::FixedOffset;

use crate::aggregate::{self, Fold};
use crate::catalog::Catalog;
use crate::classify::{self, Failure};
use crate::input;
use crate::record::Record;
use crate::{model, redact, Filters};

/// What a worker makes of one part of a file: it takes the part's final failure records as
/// the scan goes (see [`input::Settler`]), classifies, filters and folds them.
pub(crate) struct Settled<'c> {
    pub(crate) classifier: &'c Classifier<'c>,
    pub(crate) file: u32,
    pub(crate) name: Arc<str>,
    pub(crate) names: classify::Names,
    pub(crate) fold: Fold,
    /// The classified failures with their index in the part, when events are wanted.
    pub(crate) events: Vec<(u32, Failure)>,
    /// Failure records settled here.
    pub(crate) records: u64,
    /// Calls per (dimension, value) of the settled records, for failure rates.
    pub(crate) tally: Tally,
    /// The part's records that wait for the end of the run (see [`input::Held`]), line
    /// numbers of the part's reader (add the part's `delta`).
    pub(crate) held: Vec<input::Held>,
    pub(crate) spill: &'c input::Spill,
}

impl input::Settler for Settled<'_> {
    fn settle(&mut self, records: Vec<(u32, Record)>) {
        self.records += records.len() as u64;
        for (i, r) in records {
            tally(&mut self.tally, &r);
            let f = classify::classify_with(
                self.name.clone(),
                r,
                self.classifier.catalog,
                self.classifier.tz,
                &mut self.names,
            );
            let order = (self.file, 0, i);
            if let Some(f) = self.classifier.keep(f, self.file, order, &mut self.fold) {
                self.events.push((i, f));
            }
        }
    }

    /// Records with a request id wait for the end of the run: in memory up to a budget,
    /// then in a temporary file (taken as each part ends, so that a large file's do not
    /// pile up in memory while its other parts are read).
    fn hold(&mut self, records: Vec<Record>) -> Vec<Record> {
        self.held.extend(self.spill.hold(records));
        Vec::new()
    }
}

pub(crate) type Tally = BTreeMap<(&'static str, Option<String>), u64>;

/// Count a failure record towards the calls of its model, provider and endpoint (redacted,
/// as the failure's own keys are, so that they meet and a partial report holds no secret).
pub(crate) fn tally(t: &mut Tally, r: &Record) {
    let clean = |v: &Option<String>| v.as_deref().map(|v| redact::redact(v).into_owned());
    let dims = [
        ("model", clean(&r.model).map(|m| model::normalize_model(&m))),
        ("provider", r.provider.clone()),
        ("endpoint", clean(&r.endpoint)),
    ];
    for (d, v) in dims {
        *t.entry((d, v)).or_default() += 1;
    }
}

/// How a run classifies and folds the failures it finds.
pub(crate) struct Classifier<'a> {
    pub(crate) catalog: &'a Catalog,
    pub(crate) tz: FixedOffset,
    pub(crate) filters: &'a Filters,
    pub(crate) by: &'a [String],
    pub(crate) events: bool,
}

impl Classifier<'_> {
    /// Fold a failure that passes the filters; hand it back when events are wanted.
    pub(crate) fn keep(
        &self,
        f: Failure,
        file: u32,
        order: aggregate::Order,
        fold: &mut Fold,
    ) -> Option<Failure> {
        if !self.filters.keep(&f) {
            return None;
        }
        fold.add(&f, file, order);
        self.events.then_some(f)
    }
}
