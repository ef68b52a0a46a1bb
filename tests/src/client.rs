//! GraphQL over HTTP, as a client speaks it.

use serde_json::{Value, json};

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

impl Client {
    pub fn new(base: &str, token: Option<String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            token,
        }
    }

    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    /// Sends a query; returns the whole JSON body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_with(query, variables, &[]).await.1
    }

    /// Sends a query with extra headers; returns (status, body, response headers).
    pub async fn gql_with(
        &self,
        query: &str,
        variables: Value,
        headers: &[(&str, &str)],
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut req = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.expect("server reachable");
        let status = res.status().as_u16();
        let h = res.headers().clone();
        let body = res.json::<Value>().await.expect("JSON body");
        (status, body, h)
    }

    /// Sends a query with one file as a multipart request (GraphQL multipart request spec):
    /// the file goes to `variables.<var>`. Returns (status, body).
    pub async fn gql_file(
        &self,
        query: &str,
        variables: Value,
        var: &str,
        file: Vec<u8>,
    ) -> (u16, Value) {
        self.gql_file_with(query, variables, var, file, &[]).await
    }

    /// [`Client::gql_file`] with extra headers.
    pub async fn gql_file_with(
        &self,
        query: &str,
        mut variables: Value,
        var: &str,
        file: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        variables[var] = Value::Null;
        let boundary = format!("tsunagi-{}", uuid::Uuid::now_v7().simple());
        let mut body = Vec::with_capacity(file.len() + 4096);
        let part = |body: &mut Vec<u8>, name: &str, extra: &str, content: &[u8]| {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{extra}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        };
        let ops = json!({ "query": query, "variables": variables }).to_string();
        let map = json!({ "0": [format!("variables.{var}")] }).to_string();
        part(&mut body, "operations", "", ops.as_bytes());
        part(&mut body, "map", "", map.as_bytes());
        part(
            &mut body,
            "0",
            "; filename=\"component.wasm\"\r\nContent-Type: application/wasm",
            &file,
        );
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut req = self
            .http
            .post(format!("{}/graphql", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.expect("server reachable");
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.expect("JSON body"))
    }

    /// Sends a query that must succeed; returns `data`.
    pub async fn ok(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(
            body.get("errors").is_none_or(Value::is_null),
            "unexpected errors: {body}"
        );
        body["data"].clone()
    }
}

/// The first error's `extensions.code`.
pub fn code(body: &Value) -> Option<String> {
    body.pointer("/errors/0/extensions/code")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Every error's code.
pub fn codes(body: &Value) -> Vec<String> {
    body.get("errors")
        .and_then(Value::as_array)
        .map(|es| {
            es.iter()
                .filter_map(|e| {
                    e.pointer("/extensions/code")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default()
}
