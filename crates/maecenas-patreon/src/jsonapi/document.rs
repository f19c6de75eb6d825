//! JSON:API documents as Patreon shapes them (`patreon.md` §2.3): resources always carry an
//! `attributes` object (empty unless `fields[type]` names attributes, in v2), relationships only
//! when included, to-one relationships with a `links.related` URL, to-many without links, and
//! `included` deduplicated by type and id.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;
use serde_json::{Map, Value};

/// `{"type","id"}`, as in relationship data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ResourceId {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl ResourceId {
    /// The identifier of resource `id` of type `kind`.
    pub fn new(kind: &'static str, id: impl ToString) -> Self {
        Self {
            id: id.to_string(),
            kind,
        }
    }
}

/// The data of a relationship: one (possibly `null`) or many.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RelationshipData {
    /// To-one; `null` when empty.
    One(Option<ResourceId>),
    /// To-many.
    Many(Vec<ResourceId>),
}

/// `{"related": url}`, or v1's `{"first": url}` on a paged to-many relationship.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelatedLink {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
}

/// A relationship object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relationship {
    pub data: RelationshipData,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<RelatedLink>,
}

impl Relationship {
    /// A to-one relationship; `related` is the absolute URL of the related resource.
    pub fn to_one(target: Option<ResourceId>, related: Option<String>) -> Self {
        let links = target.as_ref().and(related).map(|related| RelatedLink {
            related: Some(related),
            first: None,
        });
        Self {
            data: RelationshipData::One(target),
            links,
        }
    }

    /// v1's paged to-many relationship: the first page's ids and `links.first`.
    pub fn to_many_first(targets: Vec<ResourceId>, first: String) -> Self {
        Self {
            data: RelationshipData::Many(targets),
            links: Some(RelatedLink {
                related: None,
                first: Some(first),
            }),
        }
    }

    /// A to-many relationship (no links, as Patreon sends them).
    pub fn to_many(targets: Vec<ResourceId>) -> Self {
        Self {
            data: RelationshipData::Many(targets),
            links: None,
        }
    }
}

/// A resource object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Always present, even when empty: clients index it directly.
    pub attributes: Map<String, Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub relationships: BTreeMap<&'static str, Relationship>,
}

impl Resource {
    /// A resource with the given (already sparse) attributes and no relationships.
    pub fn new(kind: &'static str, id: impl ToString, attributes: Map<String, Value>) -> Self {
        Self {
            id: id.to_string(),
            kind,
            attributes,
            relationships: BTreeMap::new(),
        }
    }

    /// Adds a relationship.
    pub fn relate(mut self, name: &'static str, relationship: Relationship) -> Self {
        self.relationships.insert(name, relationship);
        self
    }

    /// This resource's identifier.
    pub fn identifier(&self) -> ResourceId {
        ResourceId {
            id: self.id.clone(),
            kind: self.kind,
        }
    }
}

/// v2 sparse fieldsets: only the attributes named in `fields[type]`; none when it is absent.
/// Unknown names are ignored.
pub fn sparse<A: Serialize>(
    attributes: &A,
    fields: Option<&BTreeSet<String>>,
) -> Map<String, Value> {
    let Some(fields) = fields else {
        return Map::new();
    };
    let mut all = to_map(attributes);
    all.retain(|name, _| fields.contains(name));
    all
}

/// v1 attributes: the type's defaults plus any optional ones named in `fields[type]`.
pub fn with_defaults<A: Serialize>(
    attributes: &A,
    defaults: &[&str],
    extra: Option<&BTreeSet<String>>,
) -> Map<String, Value> {
    let mut all = to_map(attributes);
    all.retain(|name, _| {
        defaults.contains(&name.as_str()) || extra.is_some_and(|e| e.contains(name))
    });
    all
}

fn to_map<A: Serialize>(attributes: &A) -> Map<String, Value> {
    match serde_json::to_value(attributes) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Primary data: one resource or a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PrimaryData {
    One(Box<Resource>),
    Many(Vec<Resource>),
}

/// Top-level links.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Links {
    #[serde(rename = "self", skip_serializing_if = "Option::is_none")]
    pub self_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `meta.pagination` (v2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pagination {
    pub total: u64,
    pub cursors: Cursors,
}

/// `meta.pagination.cursors`; `next` is `null` on the last page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cursors {
    pub next: Option<String>,
}

/// Top-level meta: v2's pagination or v1's count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

impl Meta {
    /// v2's `meta.pagination` for a list of `total` items; `next` is `None` on the last page.
    pub fn paginated(total: u64, next: Option<String>) -> Self {
        Self {
            pagination: Some(Pagination {
                total,
                cursors: Cursors { next },
            }),
            count: None,
        }
    }
}

/// A whole response document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub data: PrimaryData,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub included: Vec<Resource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl Document {
    /// A single-resource document.
    pub fn one(resource: Resource) -> Self {
        Self {
            data: PrimaryData::One(Box::new(resource)),
            included: Vec::new(),
            links: None,
            meta: None,
        }
    }

    /// A list document; lists always carry a `links` object (Python clients index it).
    pub fn many(resources: Vec<Resource>) -> Self {
        Self {
            data: PrimaryData::Many(resources),
            included: Vec::new(),
            links: Some(Links::default()),
            meta: None,
        }
    }

    /// Sets the top-level `links.self` of a single-resource document, where Patreon puts it
    /// (the golden v1 `current_user` and v2 member payloads; never on the resource itself).
    pub fn self_link(mut self, url: String) -> Self {
        self.links.get_or_insert_with(Links::default).self_ = Some(url);
        self
    }

    /// Adds included resources, dropping duplicates and anything already in `data`.
    pub fn include(mut self, resources: impl IntoIterator<Item = Resource>) -> Self {
        let mut seen: HashSet<ResourceId> = match &self.data {
            PrimaryData::One(r) => [r.identifier()].into_iter().collect(),
            PrimaryData::Many(rs) => rs.iter().map(Resource::identifier).collect(),
        };
        seen.extend(self.included.iter().map(Resource::identifier));
        for resource in resources {
            if seen.insert(resource.identifier()) {
                self.included.push(resource);
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Serialize)]
    struct UserAttributes {
        full_name: &'static str,
        email: &'static str,
        is_email_verified: bool,
    }

    const ADA: UserAttributes = UserAttributes {
        full_name: "Ada",
        email: "ada@example.org",
        is_email_verified: true,
    };

    #[test]
    fn v2_attributes_are_sparse_but_always_present() {
        let none = Resource::new("user", 1, sparse(&ADA, None));
        assert_eq!(
            serde_json::to_value(&none).unwrap(),
            json!({"id": "1", "type": "user", "attributes": {}})
        );
        let fields: BTreeSet<String> = ["email".to_owned(), "nope".to_owned()].into();
        assert_eq!(
            sparse(&ADA, Some(&fields)),
            json!({"email": "ada@example.org"})
                .as_object()
                .unwrap()
                .clone()
        );
        let v1 = with_defaults(&ADA, &["full_name"], None);
        assert_eq!(v1.keys().collect::<Vec<_>>(), ["full_name"]);
    }

    #[test]
    fn relationships_and_included() {
        let campaign = ResourceId::new("campaign", 7);
        let member = Resource::new("member", "8c1e", Map::new())
            .relate(
                "campaign",
                Relationship::to_one(
                    Some(campaign.clone()),
                    Some("http://h/api/oauth2/v2/campaigns/7".into()),
                ),
            )
            .relate(
                "address",
                Relationship::to_one(None, Some("ignored".into())),
            )
            .relate(
                "currently_entitled_tiers",
                Relationship::to_many(vec![ResourceId::new("tier", 3)]),
            );
        let doc = Document::many(vec![member]).include([
            Resource::new("campaign", 7, Map::new()),
            Resource::new("campaign", 7, Map::new()),
        ]);
        let v = serde_json::to_value(&doc).unwrap();
        let rel = &v["data"][0]["relationships"];
        assert_eq!(
            rel["campaign"],
            json!({"data": {"id": "7", "type": "campaign"}, "links": {"related": "http://h/api/oauth2/v2/campaigns/7"}})
        );
        assert_eq!(rel["address"], json!({"data": null}));
        assert_eq!(
            rel["currently_entitled_tiers"],
            json!({"data": [{"id": "3", "type": "tier"}]})
        );
        assert_eq!(v["included"].as_array().unwrap().len(), 1, "deduplicated");
        assert_eq!(v["links"], json!({}), "lists always carry links");
        assert!(v.get("meta").is_none());
    }
}
