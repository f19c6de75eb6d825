//! The front page.

use askama::Template;
use axum::response::Html;

use crate::{
    error::PageError,
    pages::render,
    session::{MaybeUser, Viewer},
};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    user: Option<Viewer>,
}

pub(crate) async fn show(MaybeUser(user): MaybeUser) -> Result<Html<String>, PageError> {
    render(&HomePage {
        user: user.as_ref().map(Viewer::from),
    })
}
