//! Lenient JSON:API query parsing, as Patreon's clients send it (`patreon.md` §2.2): raw or
//! percent-encoded brackets, `%2C` commas, duplicated names, `page[size]` as an alias of
//! `page[count]`, v1's `include=null` and `json-api-use-default-includes=false`. Unknown
//! parameters are ignored.

use std::collections::{BTreeMap, BTreeSet};

use super::{ApiError, IncludeTree};

/// One `sort` key: a field, ascending unless prefixed with `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// The field name.
    pub field: String,
    /// Whether the order is descending.
    pub descending: bool,
}

/// A parsed query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonApiQuery {
    /// `include`; `None` when the client sent v1's `include=null`.
    pub include: Option<IncludeTree>,
    /// Whether `include` was present at all (v1 adds default includes only when it was not).
    pub include_given: bool,
    /// `fields[type]=a,b`, by type.
    pub fields: BTreeMap<String, BTreeSet<String>>,
    /// `page[count]` (or `page[size]`), not yet clamped.
    pub page_count: Option<u32>,
    /// `page[cursor]`.
    pub page_cursor: Option<String>,
    /// `sort`.
    pub sort: Vec<SortKey>,
    /// `json-api-use-default-includes=false` (v1).
    pub no_default_includes: bool,
}

impl JsonApiQuery {
    /// Parses a raw query string (`None` when the URL has none).
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut query = Self {
            include: Some(IncludeTree::default()),
            ..Self::default()
        };
        let Some(raw) = raw else { return Ok(query) };
        // form_urlencoded decodes keys and values alike: `fields%5Buser%5D`, `%2C`, `+`.
        for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
            let value = value.trim();
            match key.as_ref() {
                "include" => {
                    check_include_paths(value)?;
                    query.include_given = true;
                    match (IncludeTree::parse(value), query.include.as_mut()) {
                        (Some(tree), Some(existing)) => existing.merge(tree),
                        (Some(tree), None) => query.include = Some(tree),
                        (None, _) => query.include = None,
                    }
                }
                "page[count]" | "page[size]" => {
                    let count = value
                        .parse::<u32>()
                        .ok()
                        .filter(|c| *c > 0)
                        .ok_or_else(|| {
                            ApiError::invalid_parameter(
                                &key,
                                format!("`{key}` must be a positive whole number."),
                            )
                        })?;
                    query.page_count = Some(count);
                }
                "page[cursor]" => {
                    query.page_cursor =
                        Some(value.to_owned()).filter(|c| !c.is_empty() && c != "null");
                }
                "sort" => {
                    for field in split_list(value) {
                        let (field, descending) = match field.strip_prefix('-') {
                            Some(rest) => (rest, true),
                            None => (field, false),
                        };
                        if field.is_empty() {
                            return Err(ApiError::invalid_parameter(
                                "sort",
                                "`sort` has an empty field.",
                            ));
                        }
                        query.sort.push(SortKey {
                            field: field.to_owned(),
                            descending,
                        });
                    }
                }
                "json-api-use-default-includes" => {
                    query.no_default_includes = value.eq_ignore_ascii_case("false");
                }
                other => {
                    if let Some(kind) = other
                        .strip_prefix("fields[")
                        .and_then(|k| k.strip_suffix(']'))
                    {
                        if kind.is_empty() {
                            return Err(ApiError::invalid_parameter(
                                other,
                                "`fields[]` names no type.",
                            ));
                        }
                        query
                            .fields
                            .entry(kind.to_owned())
                            .or_default()
                            .extend(split_list(value).map(str::to_owned));
                    } else if other.starts_with("fields") {
                        return Err(ApiError::invalid_parameter(
                            other,
                            format!("`{other}` is not of the form `fields[type]`."),
                        ));
                    }
                }
            }
        }
        Ok(query)
    }

    /// The fields asked for on `kind`, if `fields[kind]` was given.
    pub fn fields_for(&self, kind: &str) -> Option<&BTreeSet<String>> {
        self.fields.get(kind)
    }

    /// The page size: `default` when not given, at most `max` (larger asks are clamped).
    pub fn page_size(&self, default: u32, max: u32) -> u32 {
        self.page_count.unwrap_or(default).min(max)
    }

    /// Refuses any sort field outside `allowed` (every sort when `allowed` is empty).
    pub fn check_sort(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self
            .sort
            .iter()
            .find(|k| !allowed.contains(&k.field.as_str()))
        {
            Some(key) if allowed.is_empty() => Err(ApiError::invalid_parameter(
                "sort",
                format!(
                    "Cannot sort by `{}`: this list has one fixed order.",
                    key.field
                ),
            )),
            Some(key) => Err(ApiError::invalid_parameter(
                "sort",
                format!(
                    "Cannot sort by `{}`; sortable fields: {}.",
                    key.field,
                    allowed.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }
}

/// Refuses include paths with an empty segment (`a..b`, `.a`, `a.`); empty list items
/// (`a,,b`) are tolerated.
fn check_include_paths(value: &str) -> Result<(), ApiError> {
    match split_list(value).find(|path| path.split('.').any(|s| s.trim().is_empty())) {
        Some(path) => Err(ApiError::invalid_parameter(
            "include",
            format!("`{path}` is not a valid include path."),
        )),
        None => Ok(()),
    }
}

fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_encoded_forms_parse_alike() {
        let raw = JsonApiQuery::parse(Some(
            "include=memberships&fields[user]=email,full_name&fields[member]=patron_status&page[count]=100",
        ))
        .unwrap();
        let encoded = JsonApiQuery::parse(Some(
            "include=memberships&fields%5Buser%5D=email%2Cfull_name&fields%5Bmember%5D=patron_status&page%5Bsize%5D=100",
        ))
        .unwrap();
        assert_eq!(raw, encoded);
        assert_eq!(
            raw.fields_for("user").unwrap().iter().collect::<Vec<_>>(),
            ["email", "full_name"]
        );
        assert_eq!(raw.page_count, Some(100));
        assert!(raw.include.unwrap().has("memberships"));
    }

    #[test]
    fn duplicates_are_tolerated() {
        let q = JsonApiQuery::parse(Some(
            "fields[campaign]=one_liner,one_liner,patron_count&fields[campaign]=patron_count&include=tiers&include=goals",
        ))
        .unwrap();
        assert_eq!(q.fields_for("campaign").unwrap().len(), 2);
        let include = q.include.unwrap();
        assert!(include.has("tiers") && include.has("goals"));
    }

    #[test]
    fn v1_include_forms() {
        let none = JsonApiQuery::parse(Some("include=null")).unwrap();
        assert!(none.include_given && none.include.is_none());
        let absent = JsonApiQuery::parse(Some("page%5Bcount%5D=20")).unwrap();
        assert!(!absent.include_given && absent.include.unwrap().is_empty());
        assert!(
            JsonApiQuery::parse(Some("json-api-use-default-includes=false"))
                .unwrap()
                .no_default_includes
        );
    }

    #[test]
    fn page_and_sort() {
        let q = JsonApiQuery::parse(Some(
            "page[count]=5000&sort=-created,updated&page[cursor]=abc",
        ))
        .unwrap();
        assert_eq!(q.page_size(20, 1000), 1000, "clamped");
        assert_eq!(JsonApiQuery::parse(None).unwrap().page_size(20, 1000), 20);
        assert_eq!(q.page_cursor.as_deref(), Some("abc"));
        assert_eq!(
            q.sort[0],
            SortKey {
                field: "created".into(),
                descending: true
            }
        );
        assert!(q.check_sort(&["created", "updated"]).is_ok());
        assert_eq!(
            q.check_sort(&["created"]).unwrap_err().parameter(),
            Some("sort")
        );
        for bad in [
            "page[count]=abc",
            "page[count]=0",
            "page[count]=-1",
            "sort=-",
            "fields[]=x",
            "fields[user=x",
            "fieldsuser=x",
            "include=memberships..campaign",
            "include=.user",
            "include=user.",
        ] {
            assert!(JsonApiQuery::parse(Some(bad)).is_err(), "{bad}");
        }
        let err = JsonApiQuery::parse(Some("page%5Bsize%5D=x")).unwrap_err();
        assert_eq!(err.parameter(), Some("page[size]"));
    }
}
