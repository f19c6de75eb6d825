//! `include=` as a tree: `memberships.campaign,memberships.currently_entitled_tiers` becomes
//! memberships → {campaign, currently_entitled_tiers}. v1's `include=null` (nothing) and
//! `foo.null` (foo, but none of foo's own relationships) are kept as flags.

use std::collections::BTreeMap;

use super::ApiError;

/// The requested includes, nested.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncludeTree {
    children: BTreeMap<String, IncludeTree>,
    /// `foo.null`: include foo but none of its relationships (v1).
    pub no_defaults: bool,
}

impl IncludeTree {
    /// Parses the value of `include` (already percent-decoded). `None` when the value is the
    /// literal `null` (v1: no includes at all, not even the defaults).
    pub fn parse(value: &str) -> Option<Self> {
        let mut tree = Self::default();
        let mut explicit_null = false;
        for path in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if path == "null" {
                explicit_null = true;
                continue;
            }
            tree.add(path);
        }
        if explicit_null && tree.children.is_empty() {
            None
        } else {
            Some(tree)
        }
    }

    fn add(&mut self, path: &str) {
        let mut node = self;
        for segment in path.split('.').map(str::trim).filter(|s| !s.is_empty()) {
            if segment == "null" {
                node.no_defaults = true;
                return;
            }
            node = node.children.entry(segment.to_owned()).or_default();
        }
    }

    /// Merges another `include` parameter into this one (duplicated parameters add up).
    pub fn merge(&mut self, other: Self) {
        self.no_defaults |= other.no_defaults;
        for (name, child) in other.children {
            self.children.entry(name).or_default().merge(child);
        }
    }

    /// Whether nothing is included.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Whether relationship `name` is included at this level.
    pub fn has(&self, name: &str) -> bool {
        self.children.contains_key(name)
    }

    /// The includes requested beneath relationship `name`.
    pub fn child(&self, name: &str) -> Option<&IncludeTree> {
        self.children.get(name)
    }

    /// The relationship names included at this level.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.children.keys().map(String::as_str)
    }

    /// Refuses any path the route does not allow, naming it.
    pub fn check(&self, allowed: &AllowedIncludes) -> Result<(), ApiError> {
        self.check_at(allowed, "")
    }

    fn check_at(&self, allowed: &AllowedIncludes, prefix: &str) -> Result<(), ApiError> {
        for (name, child) in &self.children {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let Some(next) = allowed.child(name) else {
                return Err(ApiError::invalid_on_type(
                    "include",
                    format!("`{path}` is not a valid include for this resource."),
                ));
            };
            child.check_at(next, &path)?;
        }
        Ok(())
    }
}

/// The include paths a route accepts, as a static tree.
#[derive(Debug, Clone, Copy)]
pub struct AllowedIncludes(pub &'static [(&'static str, AllowedIncludes)]);

impl AllowedIncludes {
    /// No includes.
    pub const NONE: Self = Self(&[]);

    fn child(&self, name: &str) -> Option<&AllowedIncludes> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, c)| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDENTITY: AllowedIncludes = AllowedIncludes(&[
        ("campaign", AllowedIncludes::NONE),
        (
            "memberships",
            AllowedIncludes(&[
                ("campaign", AllowedIncludes::NONE),
                ("currently_entitled_tiers", AllowedIncludes::NONE),
            ]),
        ),
    ]);

    #[test]
    fn nested_paths_build_a_tree() {
        let tree = IncludeTree::parse(
            "memberships.campaign, memberships.currently_entitled_tiers,,campaign",
        )
        .unwrap();
        assert!(tree.has("memberships") && tree.has("campaign"));
        let memberships = tree.child("memberships").unwrap();
        assert_eq!(
            memberships.names().collect::<Vec<_>>(),
            ["campaign", "currently_entitled_tiers"]
        );
        assert!(tree.check(&IDENTITY).is_ok());
    }

    #[test]
    fn v1_null_forms() {
        assert_eq!(IncludeTree::parse("null"), None);
        let tree = IncludeTree::parse("rewards.null").unwrap();
        assert!(tree.child("rewards").unwrap().no_defaults);
        assert!(tree.child("rewards").unwrap().is_empty());
        assert!(IncludeTree::parse("").unwrap().is_empty());
    }

    #[test]
    fn refuses_what_the_route_does_not_allow() {
        let err = IncludeTree::parse("memberships.user")
            .unwrap()
            .check(&IDENTITY)
            .unwrap_err();
        assert!(
            err.detail().contains("`memberships.user`"),
            "{}",
            err.detail()
        );
        assert!(
            IncludeTree::parse("pledges")
                .unwrap()
                .check(&IDENTITY)
                .is_err()
        );
    }
}
