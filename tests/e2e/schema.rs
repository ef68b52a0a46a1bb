//! The checked-in schema matches the code. Regenerate with `cargo xtask schema`.

#[test]
fn schema_graphql_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../graphql/schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    let current = tsunagi_graphql::sdl();
    assert!(
        checked_in == current,
        "graphql/schema.graphql is out of date: run `cargo xtask schema` and commit it"
    );
}

#[test]
fn error_codes_are_the_documented_set() {
    assert_eq!(
        tsunagi_graphql::error::CODES,
        [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "NOT_FOUND",
            "VALIDATION",
            "CONFLICT",
            "APPROVAL_REQUIRED",
            "RATE_LIMITED",
            "BAD_REQUEST",
            "UNAVAILABLE",
            "INTERNAL"
        ]
    );
}
