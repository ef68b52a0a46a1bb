//! Relay connections over keyset pages: cursors are opaque (base64 JSON of the key).

use async_graphql::OutputType;
use async_graphql::connection::{Connection, Edge, EmptyFields, OpaqueCursor};
use tsunagi_app::views::Page;
use tsunagi_core::Error;
use uuid::Uuid;

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

pub type IdCursor = OpaqueCursor<Uuid>;

/// Validates `first` and decodes `after` for a forward-only list.
pub fn forward_page(first: Option<i32>, after: Option<String>) -> async_graphql::Result<Page> {
    let limit = i64::from(first.unwrap_or(DEFAULT_PAGE as i32));
    if !(0..=MAX_PAGE).contains(&limit) {
        return Err(crate::to_gql(Error::invalid(
            "first",
            format!("must be between 0 and {MAX_PAGE}"),
        )));
    }
    let after = match after {
        Some(c) => Some(
            <IdCursor as async_graphql::connection::CursorType>::decode_cursor(&c)
                .map_err(|_| {
                    crate::to_gql(Error::invalid("after", "is not a cursor from this list"))
                })?
                .0,
        ),
        None => None,
    };
    // One more than asked, to learn whether there is a next page.
    Ok(Page {
        after,
        limit: limit + 1,
    })
}

/// Builds the connection from `limit + 1` rows.
pub fn forward_connection<T: OutputType, R>(
    mut rows: Vec<R>,
    page: Page,
    key: impl Fn(&R) -> Uuid,
    node: impl Fn(R) -> T,
) -> Connection<IdCursor, T, EmptyFields, EmptyFields> {
    let has_next = rows.len() as i64 >= page.limit;
    rows.truncate((page.limit - 1).max(0) as usize);
    let mut c = Connection::new(page.after.is_some(), has_next);
    c.edges.extend(
        rows.into_iter()
            .map(|r| Edge::new(OpaqueCursor(key(&r)), node(r))),
    );
    c
}
