//! The query checks every v2 route shares: the request's include tree against the route's
//! allowed paths, and every name in `fields[type]` against the type's attributes (`patreon.md`
//! §5.1). Both refusals are 400, code 3, `ParameterInvalidOnType`, as Patreon answers an unknown
//! include or field; `fields` for types Patreon does not document are ignored.

use super::resources::FIELDS;
use crate::jsonapi::{AllowedIncludes, ApiError, IncludeTree, JsonApiQuery};

/// The parsed query and its include tree, or the first problem with either.
pub(super) fn parse(
    raw: Option<&str>,
    allowed: &AllowedIncludes,
) -> Result<(JsonApiQuery, IncludeTree), ApiError> {
    let query = JsonApiQuery::parse(raw)?;
    let include = query.include.clone().unwrap_or_default();
    include.check(allowed)?;
    for (kind, names) in &query.fields {
        let Some((_, known)) = FIELDS.iter().find(|(k, _)| k == kind) else {
            continue;
        };
        if let Some(unknown) = names.iter().find(|n| !known.contains(&n.as_str())) {
            return Err(ApiError::invalid_on_type(
                &format!("fields[{kind}]"),
                format!("`{unknown}` is not an attribute of `{kind}`."),
            ));
        }
    }
    Ok((query, include))
}

/// Whether the request asks for any of `names` on `kind` (to skip work nobody asked for).
pub(super) fn wants(query: &JsonApiQuery, kind: &str, names: &[&str]) -> bool {
    query
        .fields_for(kind)
        .is_some_and(|f| names.iter().any(|n| f.contains(*n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE: AllowedIncludes = AllowedIncludes(&[("user", AllowedIncludes::NONE)]);

    #[test]
    fn unknown_fields_and_includes_are_invalid_on_type() {
        assert!(parse(Some("include=user&fields[user]=full_name,email"), &ROUTE).is_ok());
        assert!(parse(Some("fields[no-such-type]=x"), &ROUTE).is_ok());
        let err = parse(Some("fields%5Bcampaign%5D=pledge_sum"), &ROUTE).unwrap_err();
        assert_eq!(err.parameter(), Some("fields[campaign]"));
        assert_eq!(err.code_name(), "ParameterInvalidOnType");
        let err = parse(Some("include=media"), &ROUTE).unwrap_err();
        assert_eq!(err.parameter(), Some("include"));
        assert_eq!(err.code_name(), "ParameterInvalidOnType");
    }

    #[test]
    fn field_lists_are_sorted_and_unique() {
        for (kind, names) in FIELDS {
            assert!(names.windows(2).all(|w| w[0] < w[1]), "{kind}");
        }
    }
}
