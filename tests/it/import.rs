//! The facility CSV import: lines read, bad lines named and skipped, a known tax code updated,
//! a wrong header refused whole.

use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use sachhon_tests::{Backend, TestServer};
use serde_json::json;

on_both_backends!(the_import_reads_lines_names_bad_ones_and_updates_by_tax_code);

async fn the_import_reads_lines_names_bad_ones_and_updates_by_tax_code(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let import = |body: &str| {
        let admin = admin.clone();
        let body = body.as_bytes().to_vec();
        async move {
            admin
                .raw(
                    Method::POST,
                    "/api/v1/facilities/import",
                    Some("text/csv"),
                    body,
                )
                .await
        }
    };
    let first = import(
        "\u{feff}name,tax_code,district,sector,cp_potential\n\
         Công ty A,0300000001,Bến Lức,thực phẩm,Có\n\
         Công ty B,0300000002,Tân An\n\
         Công ty C,0300000003,Tân An,dệt may,maybe\n",
    )
    .await?;
    assert_eq!(first.status, StatusCode::OK, "{}", first.json);
    assert_eq!(first.json["imported"], json!(1), "{}", first.json);
    let lines: Vec<_> = first.json["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["line"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(lines, vec![json!(3), json!(4)], "{}", first.json);

    let again = import(
        "name,tax_code,district,sector,cp_potential\n\
         Công ty A (mới),0300000001,Bến Lức,thực phẩm,không\n",
    )
    .await?;
    assert_eq!(
        (
            again.json["imported"].clone(),
            again.json["updated"].clone()
        ),
        (json!(0), json!(1)),
        "{}",
        again.json
    );

    let before = admin.state_hash().await?;
    let wrong = import("tên,mã số thuế\nA,1\n").await?;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.json
    );
    assert_eq!(wrong.json["field"], json!("header"));
    assert_eq!(admin.state_hash().await?, before);
    Ok(())
}
