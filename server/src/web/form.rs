//! The setup pages' forms: the fields as posted (a plain form or an upload), a refused value
//! said in the page's language beside its input, and inputs that keep what was typed.

use super::i18n::{t, Lang, Text};
use super::session::{posted, CsrfForm, CsrfToken};
use crate::auth::session::same_secret;
use crate::registry::{Refusal, Refused};
use crate::service::AppState;
use crate::store::SessionUser;
use axum::extract::{FromRequest, Multipart, Request};
use axum::response::Response;
use maud::{html, Markup};
use sachhon_shared::timestamp::TimeError;
use serde::Deserialize;

/// The fields of a posted form, in order; a name may repeat (checkboxes).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "Vec<(String, String)>")]
pub struct Fields(Vec<(String, String)>);

impl From<Vec<(String, String)>> for Fields {
    fn from(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }
}

impl Fields {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// Whether a checkbox `name` was checked.
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(key, _)| key == name)
    }
}

impl CsrfToken for Fields {
    fn csrf(&self) -> &str {
        self.get("csrf")
    }
}

/// A form posted with the session's CSRF token (see [`CsrfForm`]).
pub type Posted = CsrfForm<Fields>;

/// A `multipart/form-data` form posted by a logged-in user with the session's CSRF token: its
/// text fields and its files (name and bytes; an empty file input is left out).
pub struct Upload {
    /// Who posted it.
    pub user: SessionUser,
    /// The text fields.
    pub fields: Fields,
    /// The files, by field name.
    pub files: Vec<(String, Vec<u8>)>,
}

impl FromRequest<AppState> for Upload {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (user, refused, request) = posted(request, state).await?;
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|_| refused.answer())?;
        let (mut fields, mut files) = (Vec::new(), Vec::new());
        while let Some(field) = multipart.next_field().await.map_err(|_| refused.answer())? {
            let name = field.name().unwrap_or_default().to_string();
            let is_file = field.file_name().is_some();
            let bytes = field.bytes().await.map_err(|_| refused.answer())?;
            if is_file {
                if !bytes.is_empty() {
                    files.push((name, bytes.to_vec()));
                }
            } else {
                fields.push((name, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
        let fields = Fields(fields);
        if !same_secret(fields.csrf(), &user.csrf_token) {
            return Err(refused.answer());
        }
        Ok(Self {
            user,
            fields,
            files,
        })
    }
}

impl Upload {
    /// The bytes of the file posted as `name`, if one was chosen.
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, bytes)| bytes.as_slice())
    }
}

/// The label of a field as the API names it, in the page's language.
fn field_label(field: &str) -> Text {
    match field {
        "name" => t::NAME,
        "tax_code" => t::TAX_CODE,
        "district" | "districts" => t::DISTRICT,
        "sector" => t::SECTOR,
        "title" => t::TITLE,
        "kind" => t::KIND,
        "starts_at" => t::STARTS_AT,
        "facility_id" => t::FACILITY,
        "person_id" => t::PERSON,
        "username" => t::USERNAME,
        "password" => t::PASSWORD,
        _ => t::VALUE,
    }
}

/// What is wrong with a refused value, in the page's language.
pub fn say(refused: &Refused, lang: Lang) -> String {
    if lang == Lang::En {
        return refused.to_string();
    }
    let label = lang.t(&field_label(refused.field));
    match &refused.refusal {
        Refusal::Empty => format!("{label} không được để trống."),
        Refusal::UnknownDistrict(unknown) => match &unknown.suggestion {
            Some(suggestion) => format!(
                "Không có huyện \"{}\" trong danh sách; có phải là \"{suggestion}\"?",
                unknown.name
            ),
            None => format!(
                "Không có huyện \"{}\" trong danh sách; quản trị viên có thể thêm huyện.",
                unknown.name
            ),
        },
        Refusal::Time(TimeError::NotATime(text)) => {
            format!("\"{text}\" không phải là thời gian hợp lệ.")
        }
        Refusal::Time(TimeError::NotADate(text)) => {
            format!("\"{text}\" không phải là ngày hợp lệ (NNNN-TT-NN).")
        }
        Refusal::Time(TimeError::OutOfRange(text)) => {
            format!("{text} nằm ngoài các năm 2000–2099.")
        }
        Refusal::EventKind => "Loại phải là Tuyên truyền hoặc Đào tạo.".into(),
        Refusal::NoFacility(id) => format!("Không có cơ sở {id}."),
        Refusal::NoPerson(id) => format!("Không có người {id}."),
        Refusal::TaxCodeTaken(other) => {
            format!("Mã số thuế này đã thuộc về cơ sở {other}; hãy cập nhật bằng cách nhập tệp.")
        }
        Refusal::FacilityRequired => "Thiết bị của doanh nghiệp cần có cơ sở của nó.".into(),
        Refusal::Definition(invalid) => format!("{}: {}", invalid.field, invalid.message),
    }
}

/// A form's state when shown again: what was typed, and the refusal if it was refused.
#[derive(Debug, Default)]
pub struct Shown {
    /// The fields as posted (empty for a new form).
    pub fields: Fields,
    /// The refused value.
    pub refused: Option<Refused>,
}

impl Shown {
    /// A form refused for `refused`, keeping `fields`.
    pub fn refused(fields: Fields, refused: Refused) -> Self {
        Self {
            fields,
            refused: Some(refused),
        }
    }

    /// The refusal's message under the input of `field`, if it is the field at fault.
    pub fn error(&self, field: &str, lang: Lang) -> Markup {
        html! {
            @if let Some(refused) = self.refused.as_ref().filter(|r| r.field == field) {
                p.error role="alert" data-field=(field) { (say(refused, lang)) }
            }
        }
    }

    /// A labelled text input that keeps what was typed, with its error.
    pub fn text(&self, field: &str, label: &Text, lang: Lang) -> Markup {
        self.input(field, label, lang, "text")
    }

    /// A labelled input of `kind` (`text`, `datetime-local`, `password`, …).
    pub fn input(&self, field: &str, label: &Text, lang: Lang, kind: &str) -> Markup {
        let value = if kind == "password" {
            ""
        } else {
            self.fields.get(field)
        };
        html! {
            label for=(field) { (lang.t(label)) }
            input type=(kind) id=(field) name=(field) value=(value)
                aria-invalid=[self.refused.as_ref().filter(|r| r.field == field).map(|_| "true")];
            (self.error(field, lang))
        }
    }
}

/// An RFC 3339 time as a `datetime-local` input shows it: Vietnam's time, `YYYY-MM-DDTHH:MM`.
pub fn local_input(rfc3339: &str) -> String {
    crate::time::parse_rfc3339(rfc3339)
        .and_then(|at| at.checked_to_offset(super::i18n::VIETNAM))
        .map(|at| format!("{}T{:02}:{:02}", at.date(), at.hour(), at.minute()))
        .unwrap_or_default()
}

/// What a `datetime-local` input posted (`YYYY-MM-DDTHH:MM`, Vietnam's time) as RFC 3339;
/// anything else is passed on as typed, for the time rule to refuse.
pub fn from_local_input(text: &str) -> String {
    let text = text.trim();
    match text.len() {
        16 => format!("{text}:00+07:00"),
        19 => format!("{text}+07:00"),
        _ => text.to_string(),
    }
}
