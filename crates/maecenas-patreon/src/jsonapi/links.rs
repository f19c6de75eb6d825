//! `links.next` as Patreon's clients parse it: an absolute URL carrying every parameter of the
//! request, with `page[cursor]` replaced and never first (Ruby's documented example runs
//! `CGI::parse` over the whole URL, so the first parameter's name is polluted).

/// The URL of the next page: `base` (absolute, without query) plus the request's parameters,
/// any old cursor dropped, and `page[cursor]=cursor` last.
pub fn next_link(base: &str, raw_query: Option<&str>, page_size: u32, cursor: &str) -> String {
    let kept: Vec<(String, String)> =
        url::form_urlencoded::parse(raw_query.unwrap_or_default().as_bytes())
            .filter(|(k, _)| k != "page[cursor]")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if kept.is_empty() {
        query.append_pair("page[count]", &page_size.to_string());
    }
    for (k, v) in &kept {
        query.append_pair(k, v);
    }
    query.append_pair("page[cursor]", cursor);
    format!("{base}?{}", query.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_is_last_and_encoded() {
        let link = next_link(
            "http://h/api/oauth2/v2/campaigns/1/members",
            Some("include=user&page%5Bcursor%5D=old&page[count]=10"),
            10,
            "abc",
        );
        assert_eq!(
            link,
            "http://h/api/oauth2/v2/campaigns/1/members?include=user&page%5Bcount%5D=10&page%5Bcursor%5D=abc"
        );
        let bare = next_link("http://h/x", None, 20, "c");
        assert_eq!(bare, "http://h/x?page%5Bcount%5D=20&page%5Bcursor%5D=c");
    }
}
