//! The OpenAPI description at `/api/v1/openapi.json`: served to anyone, OpenAPI 3.1, and
//! describing every route of the API router with its methods, a success answer and the
//! problem+json answers that apply. (`.ci/schemathesis` checks the running server against it.)

use reqwest::StatusCode;
use sachhon_tests::{Backend, TestServer};
use serde_json::Value;
use std::collections::BTreeSet;

/// Every route of the `/api/v1` router (`server/src/http/mod.rs`) with its methods.
const ROUTES: &[(&str, &[&str])] = &[
    ("/api/v1/enroll", &["post"]),
    ("/api/v1/sync/push", &["post"]),
    ("/api/v1/sync/pull", &["get"]),
    ("/api/v1/sync/state-hash", &["get"]),
    ("/api/v1/devices", &["post"]),
    ("/api/v1/devices/{id}", &["delete"]),
    ("/api/v1/devices/{id}/enroll.svg", &["get"]),
    ("/api/v1/devices/{id}/assignments", &["put"]),
    ("/api/v1/districts", &["get", "post"]),
    ("/api/v1/facilities", &["get", "post"]),
    ("/api/v1/facilities/import", &["post"]),
    ("/api/v1/facilities/{id}", &["get"]),
    ("/api/v1/people", &["post"]),
    ("/api/v1/events", &["post"]),
    ("/api/v1/events/{id}", &["put"]),
    ("/api/v1/events/{id}/attendance", &["get"]),
    ("/api/v1/events/{id}/registrations", &["post"]),
    ("/api/v1/events/{id}/badges", &["get"]),
    ("/api/v1/registrations/{id}/qr.svg", &["get"]),
    ("/api/v1/registrations/{id}/qr.png", &["get"]),
    ("/api/v1/registrations/{id}/revoke", &["post"]),
    ("/api/v1/scans/{id}/annul", &["post"]),
    ("/api/v1/ticket-keys", &["get", "post"]),
    ("/api/v1/ticket-keys/{id}", &["delete"]),
    ("/api/v1/questionnaires", &["post"]),
    ("/api/v1/questionnaires/xlsform", &["post"]),
    ("/api/v1/questionnaires/{id}", &["get", "put"]),
    ("/api/v1/questionnaires/{id}/responses.csv", &["get"]),
    ("/api/v1/questionnaires/{id}/responses.xlsx", &["get"]),
    ("/api/v1/responses/{id}", &["get"]),
    ("/api/v1/responses/{id}/answers/{key}", &["put"]),
    ("/api/v1/responses/{id}/review", &["post"]),
    ("/api/v1/progress", &["get"]),
    ("/api/v1/progress.csv", &["get"]),
    ("/api/v1/progress.xlsx", &["get"]),
    ("/api/v1/plan", &["get"]),
    ("/api/v1/plan/tasks/{number}", &["put"]),
    ("/api/v1/openapi.json", &["get"]),
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_description_covers_every_route() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Sqlite).await?;
    // No token: the description is for anyone.
    let response = reqwest::get(format!("{}/api/v1/openapi.json", server.url)).await?;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let document: Value = response.json().await?;

    let version = document["openapi"].as_str().unwrap_or("");
    assert!(version.starts_with("3.1"), "openapi {version:?}");
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let problem = &document["components"]["schemas"]["Problem"];
    for field in ["type", "title", "status", "detail"] {
        assert!(
            problem["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|f| f == field)),
            "Problem requires {field}: {problem}"
        );
    }
    for field in ["field", "expected_seq", "errors"] {
        assert!(problem["properties"][field].is_object(), "Problem.{field}");
    }

    let paths = document["paths"]
        .as_object()
        .ok_or_else(|| anyhow::anyhow!("no paths"))?;
    let described: BTreeSet<&str> = paths.keys().map(String::as_str).collect();
    let routed: BTreeSet<&str> = ROUTES.iter().map(|(path, _)| *path).collect();
    assert_eq!(described, routed, "described paths = routed paths");

    let mut operation_ids = BTreeSet::new();
    for (path, methods) in ROUTES {
        let item = &document["paths"][path];
        let described: BTreeSet<&str> = METHODS
            .into_iter()
            .filter(|m| item.get(*m).is_some())
            .collect();
        let routed: BTreeSet<&str> = methods.iter().copied().collect();
        assert_eq!(described, routed, "methods of {path}");
        for method in *methods {
            let operation = &item[*method];
            let at = format!("{} {path}", method.to_uppercase());
            check_operation(&document, operation, path, &at);
            let id = operation["operationId"].as_str().unwrap_or("").to_string();
            assert!(!id.is_empty(), "{at}: no operationId");
            assert!(
                operation_ids.insert(id.clone()),
                "{at}: operationId {id} twice"
            );
        }
    }
    Ok(())
}

/// One operation: a 2xx answer, problem+json for every error answer, and the problem
/// answers that its shape calls for.
fn check_operation(document: &Value, operation: &Value, path: &str, at: &str) {
    let responses = operation["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{at}: no responses"));
    assert!(
        responses.keys().any(|status| status.starts_with('2')),
        "{at}: no 2xx answer"
    );
    for (status, response) in responses {
        if status.starts_with('2') {
            continue;
        }
        let response = resolve(document, response);
        assert!(
            response["content"]["application/problem+json"]["schema"]["$ref"]
                == "#/components/schemas/Problem",
            "{at} {status}: not problem+json: {response}"
        );
    }
    let has = |status: &str| responses.contains_key(status);
    let secured = operation["security"].as_array().is_some_and(|s| {
        s.iter()
            .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
    });
    let anyone = ["/api/v1/enroll", "/api/v1/openapi.json"].contains(&path);
    assert_eq!(secured, !anyone, "{at}: security {}", operation["security"]);
    if secured {
        assert!(has("401") && has("403"), "{at}: 401 and 403");
        assert!(
            operation["description"]
                .as_str()
                .is_some_and(|d| d.contains("**Who:**")),
            "{at}: who may call it"
        );
    }
    if path.contains('{') {
        assert!(
            has("400") && has("404"),
            "{at}: 400 and 404 for the path ids"
        );
    }
    let body_types: Vec<&str> = operation["requestBody"]["content"]
        .as_object()
        .map(|c| c.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if !body_types.is_empty() {
        assert!(
            has("400") && has("413") && has("422"),
            "{at}: 400, 413, 422 for a body"
        );
    }
    if body_types
        .iter()
        .any(|t| *t == "application/json" || *t == "application/cbor")
    {
        assert!(has("415"), "{at}: 415 for a typed body");
    }
}

/// A response object, following a `$ref` to `components.responses`.
fn resolve<'a>(document: &'a Value, response: &'a Value) -> &'a Value {
    match response["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/responses/"))
    {
        Some(name) => &document["components"]["responses"][name],
        None => response,
    }
}

/// What schemathesis found: a query key given twice, a path segment that is not UTF-8 once
/// decoded and a CSV body that is not UTF-8 were refused by axum's own extractors in
/// `text/plain`. Every refusal is problem+json, as the description says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_by_the_extractors_are_problem_json() -> anyhow::Result<()> {
    use reqwest::Method;
    let server = TestServer::start(Backend::Sqlite).await?;
    let admin = server.admin();
    let questionnaire = uuid::Uuid::now_v7();
    let cases = [
        (
            Method::GET,
            "/api/v1/progress?as_of=2026-01-01&as_of=2026-01-02".to_string(),
            None,
            Vec::new(),
        ),
        (
            Method::GET,
            "/api/v1/progress.csv?district=a&district=b".to_string(),
            None,
            Vec::new(),
        ),
        (
            Method::GET,
            format!("/api/v1/questionnaires/{questionnaire}/responses.csv?lang=en&lang=vi"),
            None,
            Vec::new(),
        ),
        (
            Method::DELETE,
            "/api/v1/ticket-keys/%FF".to_string(),
            None,
            Vec::new(),
        ),
        (
            Method::PUT,
            format!("/api/v1/responses/{}/answers/%FF", uuid::Uuid::now_v7()),
            Some("application/json"),
            b"{\"value\": 1}".to_vec(),
        ),
        (
            Method::POST,
            "/api/v1/facilities/import".to_string(),
            Some("text/csv"),
            b"name,tax_code,district,sector,cp_potential\n\xff\xfe\n".to_vec(),
        ),
    ];
    let before = admin.state_hash().await?;
    for (method, path, content_type, body) in cases {
        let answer = admin.raw(method.clone(), &path, content_type, body).await?;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{method} {path}");
        assert_eq!(
            answer.content_type, "application/problem+json",
            "{method} {path}"
        );
        assert_eq!(answer.json["status"], 400, "{method} {path}");
    }
    assert_eq!(admin.state_hash().await?, before, "refusals change nothing");
    Ok(())
}
