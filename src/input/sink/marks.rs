//! What the per-line marker pass found (see `dispatch::marks`): for each marker group, the
//! index of its word that ends first in the line. A format learns its group when dispatch
//! builds its parser, so no format names another.

/// A marker group: the position of a format's word list in the dispatcher's marker pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MarkerGroup(pub u8);

/// Marker groups the pass can hold.
pub(crate) const GROUPS: usize = 8;

/// For each group, the index (in that group's word list) of its word that ends first in the
/// line, as a separate search for that group's words would have found it.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Marks {
    pub(crate) first: [Option<u8>; GROUPS],
}

impl Marks {
    pub(crate) fn first(&self, group: MarkerGroup) -> Option<usize> {
        self.first[usize::from(group.0)].map(usize::from)
    }

    pub(crate) fn has(&self, group: MarkerGroup) -> bool {
        self.first[usize::from(group.0)].is_some()
    }
}
