//! The documentation-only types of the OpenAPI description: what handlers that build their
//! answers with `json!`, or return types outside the HTTP layer, really send, mirrored as
//! `ToSchema` types, never constructed (schemathesis checks real answers against them).

use sachhon_shared::questionnaire::Definition;
use utoipa::ToSchema;
use uuid::Uuid;

/// An error answer, `application/problem+json` (RFC 9457).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    /// `urn:sachhon:problem:SLUG`, e.g. `urn:sachhon:problem:not-found`.
    r#type: String,
    /// The status's reason phrase.
    title: String,
    /// The HTTP status.
    status: u16,
    /// What went wrong, for a person.
    detail: String,
    /// The field at fault (422), as a JSON path for nested bodies.
    #[schema(value_type = String, required = false)]
    field: Option<String>,
    /// On a sync gap (409): the sequence number the server expects next.
    #[schema(value_type = u64, required = false)]
    expected_seq: Option<u64>,
    /// On a refused XLSForm (422): every place at fault.
    #[schema(required = false)]
    errors: Option<Vec<XlsformProblem>>,
}

/// One place at fault in a refused XLSForm.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct XlsformProblem {
    /// The sheet, as the workbook names it; null when the body is no readable `.xlsx`.
    #[schema(required = true)]
    sheet: Option<String>,
    /// The row, from 1 as the spreadsheet shows it; null for a whole sheet.
    #[schema(required = true)]
    row: Option<u32>,
    /// The column's letter; null for a whole row or sheet.
    #[schema(required = true)]
    column: Option<String>,
    /// The column's header; null when it has none.
    #[schema(required = true)]
    header: Option<String>,
    /// The place in spreadsheet notation: `survey!C7`, `survey!7:7`, `survey`.
    #[schema(required = true)]
    cell: Option<String>,
    /// What is wrong and what to do about it.
    message: String,
}

/// `{"id"}` of a record just made.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Created {
    /// Its id.
    id: Uuid,
}

/// The role of a device.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum DeviceRole {
    /// A trainer's phone: scans badges and registers walk-ins.
    Trainer,
    /// An enterprise's phone: answers its own facility's questionnaires.
    Enterprise,
    /// An office phone or tablet.
    Office,
}

/// The kind of an event.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum EventKind {
    /// An awareness workshop.
    Awareness,
    /// A training event (its dedicated staff count as trained).
    Training,
}

/// The office's review of a response.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ReviewState {
    /// Seen.
    Received,
    /// Needs changes (a comment says which).
    HasIssues,
    /// Approved.
    Approved,
}

/// The status of a plan task.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum TaskStatus {
    /// Not started.
    NotStarted,
    /// In progress.
    InProgress,
    /// Done.
    Done,
}

/// A device just registered, with its first one-time enrolment token.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DeviceCreated {
    /// The device.
    id: Uuid,
    /// A one-time enrolment token (`POST /api/v1/enroll`).
    token: String,
}

/// A trainer device's assigned events, as stored.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DeviceAssignments {
    /// The device.
    device_id: Uuid,
    /// Events assigned by id.
    events: Vec<Uuid>,
    /// Districts whose events are all assigned.
    districts: Vec<String>,
}

/// A facility as the registry holds it (fields in conflict show their first value).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Facility {
    /// Its id.
    id: Uuid,
    /// Its name.
    #[schema(required = true)]
    name: Option<String>,
    /// Its tax code, the natural key of imports.
    #[schema(required = true)]
    tax_code: Option<String>,
    /// Its district.
    #[schema(required = true)]
    district: Option<String>,
    /// Its industrial sector.
    #[schema(required = true)]
    sector: Option<String>,
    /// Whether it has cleaner-production potential.
    cp_potential: bool,
}

/// A page of `GET /api/v1/facilities`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FacilityPage {
    /// The facilities, in Vietnamese order of their names.
    items: Vec<Facility>,
    /// The `after` of the next page; null on the last.
    #[schema(required = true)]
    next: Option<String>,
}

/// An event's merged attendance.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Attendance {
    /// The event.
    event_id: Uuid,
    /// Distinct people who attended.
    count: u64,
    /// The attendees, by first scan.
    attendees: Vec<Attendee>,
}

/// One attendee of an event.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Attendee {
    /// The person.
    person_id: Uuid,
    /// The phone's clock at the first scan, RFC 3339.
    first_scan_at: String,
    /// Scans that were `ok` or `duplicate` on any phone, walk-ins included.
    scans: i64,
    /// A scan came from a device whose clock was off by more than five minutes.
    clock_skewed: bool,
    /// A scan admitted a ticket that had been revoked.
    revoked_ticket: bool,
}

/// A registration and its ticket text.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Registered {
    /// The registration.
    id: Uuid,
    /// The ticket text the QR code encodes (docs/tickets.md).
    qr: String,
}

/// A revoked registration.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Revoked {
    /// The registration.
    id: Uuid,
    /// Always true.
    revoked: bool,
}

/// An annulment just recorded.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Annulled {
    /// The annulment.
    id: Uuid,
    /// The scan that stops counting.
    scan_id: Uuid,
}

/// A public ticket key.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TicketKey {
    /// The key id: the first four bytes of the SHA-256 of the public key, in hex.
    id: String,
    /// The Ed25519 public key, in hex.
    public_key: String,
    /// A retired key no longer admits anyone.
    retired: bool,
}

/// Every ticket key.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TicketKeys {
    /// The keys, retired ones marked.
    keys: Vec<TicketKey>,
}

/// The id of a new ticket key.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct KeyId {
    /// The key id, in hex.
    id: String,
}

/// A questionnaire's version just published.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Published {
    /// The questionnaire.
    id: Uuid,
    /// Its newest version (1 for a new questionnaire).
    version: u32,
}

/// The newest version of a questionnaire.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct QuestionnaireVersion {
    /// The questionnaire.
    id: Uuid,
    /// Its newest version.
    version: u32,
    /// That version's definition.
    definition: Definition,
}

/// The canonical hash of the server's whole state.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StateHash {
    /// Comparable with `sachhon-device state-hash`.
    state_hash: String,
}

/// Progress as of a date (CONTRACT.md's progress answer).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProgressReport {
    /// The date, `YYYY-MM-DD`.
    as_of: String,
    /// The milestone measured against, `YYYY-MM-DD`.
    milestone: String,
    /// Province-wide (or the requested district's) indicators.
    indicators: Vec<Indicator>,
    /// Per district: the plan's districts first, then any other district in the data.
    by_district: Vec<DistrictProgress>,
}

/// The key of an indicator.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum IndicatorKey {
    /// Facilities with CP potential that are aware.
    Awareness,
    /// Facilities with CP potential applying CP with savings at the floor or above.
    Adoption,
    /// Dedicated CP staff trained.
    StaffTrained,
}

/// One indicator of an area.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Indicator {
    /// Which indicator.
    key: IndicatorKey,
    /// Numerator.
    numerator: u64,
    /// Denominator.
    denominator: u64,
    /// numerator ÷ denominator; `null` when the denominator is 0.
    #[schema(required = true)]
    value: Option<f64>,
    /// The milestone's target.
    target: f64,
    /// Whether the value reaches the target.
    met: bool,
    /// The savings floor, percent (adoption only).
    #[schema(value_type = f64, required = false)]
    min_savings_pct: Option<f64>,
}

/// One district's indicators.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DistrictProgress {
    /// The district.
    district: String,
    /// Its indicators.
    indicators: Vec<Indicator>,
}

/// The programme plan: milestones with targets, and the appendix's tasks.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Plan {
    /// The province.
    province: String,
    /// The decision that set the targets.
    decision: String,
    /// Districts always reported, in this order.
    districts: Vec<String>,
    /// Milestones, in date order.
    milestones: Vec<Milestone>,
    /// The appendix's tasks.
    tasks: Vec<PlanTask>,
}

/// Targets to reach by a date.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Milestone {
    /// `YYYY-MM-DD`.
    date: String,
    /// Share of facilities with CP potential that are aware.
    awareness: f64,
    /// Share of facilities with CP potential applying CP with savings at the floor or above.
    adoption: f64,
    /// The savings floor, percent per unit of product.
    min_savings_pct: f64,
    /// The savings band's upper bound.
    max_savings_pct: f64,
    /// Share of dedicated CP staff trained.
    staff_trained: f64,
}

/// A task of the plan's appendix, with the office's follow-up.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PlanTask {
    /// Its number in the appendix.
    number: u32,
    /// What is to be done.
    content: String,
    /// The agency in charge.
    lead_agency: String,
    /// The agencies that coordinate.
    coordinating_agencies: String,
    /// When, as the decision words it.
    deadline: String,
    /// `not_started`, `in_progress` or `done`.
    status: String,
    /// The office's note.
    note: String,
}

/// A task's follow-up as recorded.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TaskFollowUp {
    /// The task's number.
    number: u32,
    /// `not_started`, `in_progress` or `done`.
    status: String,
    /// The office's note.
    note: String,
}

/// The header by which a device reports its clock on a push or pull.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct DeviceClock {
    /// The device's clock, milliseconds since the Unix epoch: the server records the offset
    /// and flags scans of a skewed device.
    #[param(rename = "x-sachhon-device-time", value_type = i64, required = false)]
    device_time: Option<i64>,
}

/// A binary body (CBOR, PNG, XLSX).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct Binary(Vec<u8>);
