//! Tests of the formats through the whole reader (`parse_text`), one file per format.

mod claude_code;
mod clouds;
mod envoy;
mod gateways;
mod litellm;
mod nginx;
mod python;
mod sdks;
