//! The projection tables the data set fills, with the columns of each row in order.

use crate::bulk::Table;

/// `facilities` (server/migrations/*/0001_foundation.sql).
pub const FACILITIES: Table = Table {
    name: "facilities",
    columns: &[
        "id",
        "name",
        "tax_code",
        "district",
        "sector",
        "cp_potential",
    ],
};
/// `people`.
pub const PEOPLE: Table = Table {
    name: "people",
    columns: &["id", "name", "facility_id", "cp_staff", "phone"],
};
/// `events`.
pub const EVENTS: Table = Table {
    name: "events",
    columns: &["id", "title", "kind", "starts_at", "district"],
};
/// `registrations`.
pub const REGISTRATIONS: Table = Table {
    name: "registrations",
    columns: &["id", "event_id", "person_id", "revoked"],
};
/// `scans`.
pub const SCANS: Table = Table {
    name: "scans",
    columns: &[
        "id",
        "event_id",
        "registration_id",
        "person_id",
        "actor_id",
        "operator",
        "scanned_at_ms",
        "received_at",
        "status",
        "walk_in",
        "clock_skewed",
    ],
};
/// `annulments`.
pub const ANNULMENTS: Table = Table {
    name: "annulments",
    columns: &["id", "scan_id", "actor_id", "reason", "received_at"],
};
/// `responses` (server/migrations/*/0002_questionnaires.sql).
pub const RESPONSES: Table = Table {
    name: "responses",
    columns: &[
        "id",
        "questionnaire_id",
        "version",
        "facility_id",
        "answered_at",
        "answered_at_ms",
        "score",
        "passes",
        "applies_cp",
        "savings_pct",
        "review",
        "conflicts",
    ],
};
