//! The format leaves: each reads one family of layouts and imports only the toolkit, the sink
//! and the record types, never another format. The dispatcher (`dispatch.rs`) is the only
//! place that lists them.

pub(crate) mod claude_code;
pub(crate) mod cloudflare;
pub(crate) mod clouds;
pub(crate) mod envoy;
pub(crate) mod gateways;
pub(crate) mod go;
pub(crate) mod har;
pub(crate) mod istio;
pub(crate) mod java;
pub(crate) mod litellm;
pub(crate) mod nginx;
pub(crate) mod python;
pub(crate) mod typescript;
