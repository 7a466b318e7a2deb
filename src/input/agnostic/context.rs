//! Whether a text is about a Claude API call, about another vendor's, or says neither.
//!
//! The format-agnostic layer counts a call only in a Claude context: an Anthropic host or API
//! path, a Claude model id (first-party, Bedrock `anthropic.claude-...`, Vertex
//! `publishers/anthropic/...`), an Anthropic request or message id, an error type only the
//! Anthropic API uses. Another vendor's host or model id (OpenAI, Gemini, Mistral, Llama,
//! Titan...) is the opposite: such a line is never a Claude failure, even when it also names a
//! Claude model in passing, unless the Claude call is the one the line is about (an Anthropic
//! host or path).

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// What a text says about whose API it is about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Context {
    /// An Anthropic host, an Anthropic API path or Bedrock/Vertex Anthropic path.
    pub claude_route: bool,
    /// A Claude model id, an Anthropic id (`req_`, `msg_`, `toolu_`), an Anthropic-only error
    /// type, or the words Anthropic / Claude.
    pub claude: bool,
    /// Another vendor's host, path or model id.
    pub other: bool,
}

impl Context {
    /// Claude's and nobody else's, or Claude's by its route whatever else the line names.
    pub fn is_claude(self) -> bool {
        self.claude_route || (self.claude && !self.other)
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Route,
    Claude,
    Other,
}

/// Spelled as logs write them, matched case-sensitively (a vectorized search: this runs on
/// many lines). Keep the list at 64 words or fewer: past that the automaton loses its packed
/// (SIMD) prefilter and every line's search costs about twice as much.
const WORDS: [(&str, Kind); 61] = [
    ("api.anthropic.com", Kind::Route),
    ("/v1/messages", Kind::Route),
    ("/v1/complete", Kind::Route),
    ("/anthropic/", Kind::Route),
    ("publishers/anthropic", Kind::Route),
    ("bedrock-runtime", Kind::Claude),
    ("anthropic", Kind::Claude),
    ("Anthropic", Kind::Claude),
    ("ANTHROPIC", Kind::Claude),
    ("claude", Kind::Claude),
    ("Claude", Kind::Claude),
    ("CLAUDE", Kind::Claude),
    ("req_011", Kind::Claude),
    ("msg_01", Kind::Claude),
    ("msg_bdrk_", Kind::Claude),
    ("msg_vrtx_", Kind::Claude),
    ("toolu_", Kind::Claude),
    ("overloaded_error", Kind::Claude),
    ("x-api-key", Kind::Claude),
    ("X-Api-Key", Kind::Claude),
    ("anthropic-version", Kind::Claude),
    ("Anthropic-Version", Kind::Claude),
    ("openai", Kind::Other),
    ("OpenAI", Kind::Other),
    ("OPENAI", Kind::Other),
    ("gpt-", Kind::Other),
    ("GPT-", Kind::Other),
    ("chatgpt", Kind::Other),
    ("ChatGPT", Kind::Other),
    ("text-embedding", Kind::Other),
    ("gemini", Kind::Other),
    ("Gemini", Kind::Other),
    ("generativelanguage.googleapis", Kind::Other),
    ("mistral", Kind::Other),
    ("Mistral", Kind::Other),
    ("mixtral", Kind::Other),
    ("llama", Kind::Other),
    ("Llama", Kind::Other),
    ("amazon.titan", Kind::Other),
    ("amazon.nova", Kind::Other),
    ("cohere", Kind::Other),
    ("Cohere", Kind::Other),
    ("command-r", Kind::Other),
    ("deepseek", Kind::Other),
    ("DeepSeek", Kind::Other),
    ("api.groq", Kind::Other),
    ("api.x.ai", Kind::Other),
    ("grok-", Kind::Other),
    ("qwen", Kind::Other),
    ("Qwen", Kind::Other),
    ("api.together", Kind::Other),
    ("fireworks.ai", Kind::Other),
    ("glm-", Kind::Other),
    ("GLM-", Kind::Other),
    ("zhipu", Kind::Other),
    ("Zhipu", Kind::Other),
    ("bigmodel.cn", Kind::Other),
    ("moonshot", Kind::Other),
    ("kimi-", Kind::Other),
    ("codex", Kind::Other),
    ("Codex", Kind::Other),
];

static AUTOMATON: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostFirst)
        .build(WORDS.iter().map(|(w, _)| w))
        .expect("static automaton")
});

/// What `text` says about whose API it is about (one case-blind pass; a word inside a longer
/// one of the same kind, `anthropic` in `api.anthropic.com`, needs no match of its own).
pub(crate) fn context(text: &str) -> Context {
    let mut c = Context::default();
    for m in AUTOMATON.find_iter(text) {
        match WORDS[m.pattern().as_usize()].1 {
            Kind::Route => c.claude_route = true,
            Kind::Claude => c.claude = true,
            Kind::Other => c.other = true,
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_win_over_other_vendors_words() {
        assert!(context("POST https://api.anthropic.com/v1/messages gpt-4o fallback").is_claude());
        assert!(context("model=claude-sonnet-4-5 status=529").is_claude());
        assert!(!context("model=gpt-4o status=429").is_claude());
        assert!(!context("claude-3 vs gemini-2.5 comparison failed: 503").is_claude());
        assert!(!context("GET /healthz 200").is_claude());
        // OpenAI-shaped paths are anybody's: the model decides.
        assert!(context("POST /v1/chat/completions model=claude-sonnet-4").is_claude());
        assert!(!context("POST /v1/chat/completions model=gpt-4o").is_claude());
    }
}
