//! Format-blind helpers, one definition each: API facts (endpoints, hosts, providers, Claude
//! context, error bodies), the error texts that several formats print (SDK messages, Python
//! tracebacks, LiteLLM and cloud exceptions), flat JSON, Python reprs, SSE streams, word
//! search, line producers, shared limits. The toolkit imports neither the sink nor a format.

pub(crate) mod api;
pub(crate) mod cloud_text;
pub(crate) mod envoy;
pub(crate) mod flat_json;
pub(crate) mod limits;
pub(crate) mod litellm_text;
pub(crate) mod producer;
pub(crate) mod pyrepr;
pub(crate) mod sdk_text;
pub(crate) mod sse;
pub(crate) mod traceback;
pub(crate) mod words;

use regex::Regex;

/// A static regex (the patterns are constants, so building one cannot fail at run time).
pub(crate) fn regex(re: &str) -> Regex {
    Regex::new(re).expect("static regex")
}

/// A substring searcher for a literal, built once: `str::find` builds one per call, which
/// costs more than the search on most lines.
macro_rules! finder {
    ($lit:expr) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($lit));
        &*FINDER
    }};
}

/// Whether `line` holds a literal, with the literal's searcher built once.
macro_rules! has {
    ($hay:expr, $lit:expr) => {
        $crate::input::toolkit::finder!($lit)
            .find($hay.as_bytes())
            .is_some()
    };
}

pub(crate) use {finder, has};
