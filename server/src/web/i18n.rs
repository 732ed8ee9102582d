//! The two languages of the web pages: Vietnamese by default, English with `?lang=en`. Every
//! text is a [`Text`] holding both, so no string can miss a translation; the language is
//! carried in every link and form action.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::convert::Infallible;
use time::{OffsetDateTime, UtcOffset};

/// A page language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// Tiếng Việt, the default.
    #[default]
    Vi,
    /// English.
    En,
}

/// One text in both languages.
#[derive(Clone, Copy, Debug)]
pub struct Text {
    /// Vietnamese.
    pub vi: &'static str,
    /// English.
    pub en: &'static str,
}

/// Vietnam's offset from UTC (no daylight saving).
pub const VIETNAM: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

impl Lang {
    /// The language a query string asks for (`lang=en`), Vietnamese otherwise.
    pub fn from_query(query: Option<&str>) -> Self {
        let english = query.unwrap_or("").split('&').any(|pair| pair == "lang=en");
        if english {
            Self::En
        } else {
            Self::Vi
        }
    }

    /// `vi` or `en`, for `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Vi => "vi",
            Self::En => "en",
        }
    }

    /// The text in this language.
    pub fn t(self, text: &Text) -> &'static str {
        match self {
            Self::Vi => text.vi,
            Self::En => text.en,
        }
    }

    /// A local link that keeps this language: `path` with `lang=en` added for English.
    pub fn link(self, path: &str) -> String {
        match self {
            Self::Vi => path.to_string(),
            Self::En if path.contains('?') => format!("{path}&lang=en"),
            Self::En => format!("{path}?lang=en"),
        }
    }

    /// A number with at most one decimal, in this language's style (`66,7` or `66.7`).
    pub fn number(self, value: f64) -> String {
        let rounded = (value * 10.0).round() / 10.0;
        let text = if rounded.fract() == 0.0 {
            format!("{rounded:.0}")
        } else {
            format!("{rounded:.1}")
        };
        match self {
            Self::Vi => text.replace('.', ","),
            Self::En => text,
        }
    }

    /// A share (0.667) as a percentage (`66,7%`).
    pub fn percent(self, share: f64) -> String {
        format!("{}%", self.number(share * 100.0))
    }

    /// A `YYYY-MM-DD` date as people write it (`31/12/2015`; English keeps ISO).
    pub fn date(self, iso: &str) -> String {
        match (self, iso.split('-').collect::<Vec<_>>().as_slice()) {
            (Self::Vi, [y, m, d]) => format!("{d}/{m}/{y}"),
            _ => iso.to_string(),
        }
    }

    /// An RFC 3339 time shown in Vietnam's time (`29/11/2026 08:00`).
    pub fn time(self, rfc3339: &str) -> String {
        match crate::time::parse_rfc3339(rfc3339) {
            Some(at) => self.local(at),
            None => rfc3339.to_string(),
        }
    }

    /// Milliseconds since the epoch shown in Vietnam's time.
    pub fn time_ms(self, ms: i64) -> String {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .map(|at| self.local(at))
            .unwrap_or_else(|_| ms.to_string())
    }

    /// Never panics: a time whose Vietnamese form does not exist (past year 9999, stored
    /// before the range rule) is shown in UTC.
    fn local(self, at: OffsetDateTime) -> String {
        let at = at.checked_to_offset(VIETNAM).unwrap_or(at);
        let date = at.date().to_string();
        format!("{} {:02}:{:02}", self.date(&date), at.hour(), at.minute())
    }
}

/// Today's date in Vietnam, `YYYY-MM-DD`.
pub fn today() -> String {
    OffsetDateTime::now_utc()
        .to_offset(VIETNAM)
        .date()
        .to_string()
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self::from_query(parts.uri.query()))
    }
}

macro_rules! texts {
    ($($name:ident: $vi:literal / $en:literal;)*) => {
        $(
            #[doc = $en]
            pub const $name: Text = Text { vi: $vi, en: $en };
        )*
    };
}

/// Every text of the pages.
pub mod t {
    use super::Text;

    texts! {
        APP: "Sản xuất sạch hơn" / "Cleaner production";
        PROVINCE_NAME: "Long An" / "Long An";
        OTHER_LANG: "English" / "Tiếng Việt";
        NAV_PROGRESS: "Tiến độ" / "Progress";
        NAV_EVENTS: "Sự kiện" / "Events";
        NAV_RESPONSES: "Phiếu khảo sát" / "Responses";
        NAV_FACILITIES: "Cơ sở" / "Facilities";
        NAV_DEVICES: "Thiết bị" / "Devices";
        NAV_PLAN: "Nhiệm vụ" / "Tasks";
        LOGOUT: "Đăng xuất" / "Log out";
        SIGNED_IN_AS: "Đăng nhập với tên" / "Signed in as";

        LOGIN_TITLE: "Đăng nhập" / "Log in";
        USERNAME: "Tên đăng nhập" / "Username";
        PASSWORD: "Mật khẩu" / "Password";
        LOGIN_BUTTON: "Đăng nhập" / "Log in";
        LOGIN_FAILED: "Tên đăng nhập hoặc mật khẩu không đúng." / "Wrong username or password.";
        LOGIN_THROTTLED: "Quá nhiều lần thử. Vui lòng thử lại sau ít phút." / "Too many tries. Please try again in a few minutes.";
        LOGIN_EXPIRED: "Biểu mẫu đăng nhập đã hết hạn. Vui lòng thử lại." / "The login form expired. Please try again.";

        PROGRESS_TITLE: "Tiến độ thực hiện mục tiêu" / "Progress against the targets";
        AS_OF: "Tính đến ngày" / "As of";
        SHOW: "Xem" / "Show";
        MILESTONE: "Mốc đánh giá" / "Milestone";
        PROVINCE: "Toàn tỉnh" / "Province-wide";
        YEARLY_REPORT: "Báo cáo năm (XLSX)" / "Yearly report (XLSX)";
        CSV_TABLE: "Bảng số liệu (CSV)" / "Table (CSV)";
        TARGET: "Mục tiêu" / "Target";
        MET: "Đạt" / "Met";
        NOT_MET: "Chưa đạt" / "Not met";
        NO_DATA: "Chưa có dữ liệu" / "No data";
        BY_DISTRICT: "Theo huyện" / "By district";
        DISTRICT: "Huyện" / "District";
        IND_AWARENESS: "Nhận thức về SXSH" / "Awareness of cleaner production";
        IND_AWARENESS_DESC: "Cơ sở có tiềm năng SXSH đã được tiếp cận và đạt điểm khảo sát nhận thức" / "Facilities with CP potential that were reached and pass the awareness questionnaire";
        IND_ADOPTION: "Áp dụng SXSH" / "Adoption of cleaner production";
        IND_ADOPTION_DESC: "Cơ sở có tiềm năng SXSH áp dụng SXSH và tiết kiệm ít nhất" / "Facilities with CP potential applying CP and saving at least";
        IND_STAFF: "Cán bộ chuyên trách được đào tạo" / "Dedicated staff trained";
        IND_STAFF_DESC: "Cán bộ chuyên trách về SXSH đã dự ít nhất một khóa đào tạo" / "Dedicated CP staff who attended at least one training";
        PER_UNIT: "trên đơn vị sản phẩm" / "per unit of product";

        EVENTS_TITLE: "Sự kiện" / "Events";
        TITLE: "Tên sự kiện" / "Title";
        KIND: "Loại" / "Kind";
        STARTS_AT: "Thời gian" / "Starts";
        KIND_AWARENESS: "Tuyên truyền" / "Awareness";
        KIND_TRAINING: "Đào tạo" / "Training";
        NO_EVENTS: "Chưa có sự kiện." / "No events yet.";
        ATTENDANCE: "Điểm danh" / "Attendance";
        PEOPLE_PRESENT: "Số người tham dự" / "People present";
        ATTENDEE: "Người tham dự" / "Attendee";
        FIRST_SCAN: "Quét lần đầu" / "First scan";
        SCANS: "Số lần quét" / "Scans";
        CLOCK: "Đồng hồ thiết bị" / "Device clock";
        CLOCK_SKEWED: "Lệch giờ" / "Off";
        REVOKED_TICKET: "Vé đã bị thu hồi" / "Revoked ticket";
        CLOCK_OK: "Đúng giờ" / "OK";
        LIVE_NOTE: "Trang tự cập nhật mỗi 10 giây." / "This page refreshes every 10 seconds.";
        NO_ATTENDEES: "Chưa có ai được điểm danh." / "No one has checked in yet.";
        UNKNOWN_PERSON: "(chưa rõ)" / "(unknown)";

        RESPONSES_TITLE: "Phiếu khảo sát" / "Questionnaire responses";
        FACILITY: "Cơ sở" / "Facility";
        ANSWERED_AT: "Ngày trả lời" / "Answered";
        PASSES: "Đạt điểm" / "Passes";
        CONFLICTS: "Xung đột" / "Conflicts";
        REVIEW: "Duyệt" / "Review";
        YES: "Có" / "Yes";
        NO: "Không" / "No";
        NO_RESPONSES: "Chưa có phiếu nào." / "No responses yet.";
        RESPONSE_TITLE: "Phiếu trả lời" / "Response";
        QUESTIONNAIRE: "Bảng hỏi" / "Questionnaire";
        VERSION: "Phiên bản" / "Version";
        SCORE: "Điểm" / "Score";
        QUESTION: "Câu hỏi" / "Question";
        ANSWER: "Trả lời" / "Answer";
        CONFLICT: "Xung đột" / "Conflict";
        CONFLICT_NOTE: "Các thiết bị đã ghi những giá trị khác nhau cùng lúc. Chọn một giá trị hoặc nhập giá trị đúng." / "Devices wrote different values at the same time. Choose one, or type the right value.";
        OR_TYPE: "Hoặc nhập giá trị" / "Or type a value";
        RESOLVE: "Giải quyết" / "Resolve";
        REVIEW_STATE: "Trạng thái duyệt" / "Review state";
        COMMENT: "Nhận xét" / "Comment";
        SAVE_REVIEW: "Lưu kết quả duyệt" / "Save the review";
        REVIEW_RECEIVED: "Đã nhận" / "Received";
        REVIEW_HAS_ISSUES: "Có vấn đề" / "Has issues";
        REVIEW_APPROVED: "Đã duyệt" / "Approved";
        NOT_REVIEWED: "Chưa duyệt" / "Not reviewed";
        CHOOSE_OR_TYPE: "Hãy chọn một giá trị hoặc nhập giá trị." / "Choose a value or type one.";

        FACILITIES_TITLE: "Cơ sở sản xuất" / "Facilities";
        NAME: "Tên" / "Name";
        TAX_CODE: "Mã số thuế" / "Tax code";
        SECTOR: "Ngành" / "Sector";
        CP_POTENTIAL: "Tiềm năng SXSH" / "CP potential";
        FACILITIES_N: "cơ sở" / "facilities";
        WITH_POTENTIAL: "có tiềm năng SXSH" / "with CP potential";
        NO_FACILITIES: "Chưa có cơ sở nào." / "No facilities yet.";

        DEVICES_TITLE: "Thiết bị" / "Devices";
        ROLE: "Vai trò" / "Role";
        ROLE_TRAINER: "Cán bộ tập huấn" / "Trainer";
        ROLE_ENTERPRISE: "Doanh nghiệp" / "Enterprise";
        ROLE_OFFICE: "Văn phòng" / "Office";
        REGISTERED: "Ngày đăng ký" / "Registered";
        STATUS: "Trạng thái" / "Status";
        ACTIVE: "Đang hoạt động" / "Active";
        REVOKED: "Đã thu hồi" / "Revoked";
        ENROLMENTS: "Số lần kích hoạt" / "Enrolments";
        LAST_SYNC: "Đồng bộ lần cuối" / "Last sync";
        NEVER_SYNCED: "Chưa đồng bộ" / "Never";
        ENROL_QR: "Mã QR kích hoạt" / "Enrolment QR";
        ENROL_NOTE: "Quét mã này bằng ứng dụng trên điện thoại để kích hoạt thiết bị. Mỗi lần mở trang này tạo một mã mới; mã cũ chưa dùng sẽ hết hiệu lực." / "Scan this code with the phone app to enrol the device. Each visit to this page makes a new code; an earlier unused code stops working.";
        NO_DEVICES: "Chưa có thiết bị nào." / "No devices yet.";
        BACK: "Quay lại" / "Back";
        ASSIGNED: "Sự kiện được giao" / "Assigned events";
        ASSIGNED_ALL: "Tất cả" / "All";
        ASSIGNED_NOTE: "Điện thoại tập huấn được giao sự kiện chỉ nhận người, đăng ký và lượt quét của các sự kiện đó (và của mọi sự kiện ở huyện được chọn); không giao sự kiện nào thì nhận tất cả." / "A trainer phone assigned events receives only those events' people, registrations and scans (and those of every event in a chosen district); with none, it receives everything.";
        DISTRICTS: "Huyện" / "Districts";

        PLAN_TITLE: "Nhiệm vụ của kế hoạch" / "Tasks of the plan";
        NUMBER: "STT" / "No.";
        CONTENT: "Nội dung" / "Task";
        LEAD_AGENCY: "Cơ quan chủ trì" / "Lead agency";
        COORDINATING: "Cơ quan phối hợp" / "Coordinating agencies";
        DEADLINE: "Thời hạn" / "Deadline";
        NOTE: "Ghi chú" / "Note";
        SAVE: "Lưu" / "Save";
        TASK_NOT_STARTED: "Chưa bắt đầu" / "Not started";
        TASK_IN_PROGRESS: "Đang thực hiện" / "In progress";
        TASK_DONE: "Hoàn thành" / "Done";

        ERROR: "Lỗi" / "Error";
        BAD_FORM: "Biểu mẫu không hợp lệ hoặc đã hết hạn; hãy tải lại trang rồi thử lại." / "The form is invalid or has expired; reload the page and try again.";
        HOME: "Trang chính" / "Home";

        NAV_QUESTIONNAIRES: "Bộ câu hỏi" / "Questionnaires";
        NAV_ACCOUNTS: "Tài khoản" / "Accounts";
        ADMIN_ONLY: "Chỉ quản trị viên được làm việc này." / "Only an administrator may do this.";
        VALUE: "Giá trị" / "Value";
        PERSON: "Người" / "Person";
        SEARCH: "Tìm" / "Search";
        NEXT_PAGE: "Trang sau" / "Next page";
        MINUTES: "phút" / "min";
        PREVIOUS_PAGE: "Trang trước" / "Previous page";
        CREATE: "Tạo" / "Create";
        LINE: "Dòng" / "Line";

        SEARCH_NAME_TAX: "Tên hoặc mã số thuế" / "Name or tax code";
        ALL_DISTRICTS: "Tất cả các huyện" / "All districts";
        PEOPLE: "Người của cơ sở" / "People";
        NO_PEOPLE: "Không có ai." / "Nobody.";
        CP_STAFF: "Cán bộ chuyên trách SXSH" / "Dedicated CP staff";
        DOES_NOT_PASS: "Chưa đạt điểm" / "Does not pass";
        NO_ATTENDANCE: "Chưa ai của cơ sở dự sự kiện nào." / "Nobody from this facility attended an event yet.";

        IMPORT_CSV: "Nhập danh sách cơ sở (CSV)" / "Import facilities (CSV)";
        IMPORT_NOTE: "Dòng đầu: name,tax_code,district,sector,cp_potential. Cơ sở đã có mã số thuế thì được cập nhật, không tạo trùng. Xem trước khi ghi." / "First line: name,tax_code,district,sector,cp_potential. A facility whose tax code is known is updated, never duplicated. You see a preview before anything is written.";
        CSV_FILE: "Tệp CSV (UTF-8)" / "CSV file (UTF-8)";
        PREVIEW: "Xem trước" / "Preview";
        PREVIEW_NOTE: "Xem trước: chưa ghi gì. Kiểm tra rồi bấm Nhập." / "Preview: nothing is written yet. Check it, then press Import.";
        IMPORT_DONE: "Đã nhập." / "Imported.";
        WILL_CREATE: "cơ sở mới" / "new facilities";
        WILL_UPDATE: "cơ sở cập nhật" / "facilities updated";
        REFUSED_LINES: "dòng bị từ chối" / "lines refused";
        STATUS_CREATED: "Mới" / "New";
        STATUS_UPDATED: "Cập nhật" / "Updated";
        IMPORT_CONFIRM: "Nhập" / "Import";
        IMPORT_ANOTHER: "Nhập tệp khác" / "Import another file";
        NOT_UTF8: "Tệp không phải là văn bản UTF-8." / "The file is not UTF-8 text.";
        WRONG_HEADER: "Dòng đầu phải là name,tax_code,district,sector,cp_potential." / "The first line must be name,tax_code,district,sector,cp_potential.";

        NEW_EVENT: "Tạo sự kiện" / "New event";
        EDIT_EVENT: "Sửa sự kiện" / "Edit the event";
        BADGE_SHEET: "In thẻ tham dự" / "Print the badges";
        REGISTERED_PEOPLE: "Người đã đăng ký" / "Registered";
        NO_REGISTRATIONS: "Chưa ai đăng ký." / "Nobody is registered yet.";
        FIND_PERSON: "Tìm người để đăng ký" / "Find someone to register";
        REGISTER: "Đăng ký" / "Register";
        NEW_PERSON: "Đăng ký người mới" / "Register someone new";
        FACILITY_TAX_CODE: "Mã số thuế của cơ sở (không bắt buộc)" / "Their facility's tax code (optional)";
        PHONE: "Số điện thoại" / "Phone";

        NEW_DEVICE: "Thêm thiết bị" / "Add a device";
        REVOKE: "Thu hồi" / "Revoke";
        ENROL_WARNING: "Mã QR mới làm mã cũ chưa dùng hết hiệu lực. Chỉ tạo khi điện thoại sẵn sàng quét." / "A new QR code makes the unused one stop working. Make it when the phone is ready to scan.";
        MAKE_ENROL_QR: "Tạo mã QR đăng ký" / "Make the enrolment QR";
        ENROL_TOKEN: "Mã đăng ký (gõ tay nếu không quét được)" / "Enrolment token (to type if the QR cannot be scanned)";

        QUESTIONNAIRES_TITLE: "Bộ câu hỏi" / "Questionnaires";
        PUBLISHED: "Đã công bố" / "Published";
        UPLOAD_REFUSED: "Tệp bị từ chối; không có gì được công bố:" / "The file was refused; nothing was published:";
        NEW_QUESTIONNAIRE: "Công bố bộ câu hỏi mới" / "Publish a new questionnaire";
        NO_QUESTIONNAIRES: "Chưa có bộ câu hỏi nào." / "No questionnaires yet.";
        NEW_VERSION: "Phiên bản mới" / "New version";
        UPLOAD: "Công bố" / "Publish";
        QUESTIONNAIRE_FILE: "Tệp XLSForm (.xlsx) hoặc JSON" / "XLSForm (.xlsx) or JSON file";
        NO_FILE: "Chưa chọn tệp." / "No file was chosen.";
        NOT_A_DEFINITION: "Tệp không phải là XLSForm hay định nghĩa JSON" / "The file is neither an XLSForm nor a JSON definition";

        ACCOUNTS_TITLE: "Tài khoản văn phòng" / "Office accounts";
        ROLE_ADMIN: "Quản trị viên" / "Administrator";
        DISABLED: "Đã khóa" / "Disabled";
        ENABLE: "Mở khóa" / "Enable";
        DISABLE: "Khóa" / "Disable";
        NEW_ACCOUNT: "Thêm tài khoản" / "Add an account";
        BAD_USERNAME: "Tên đăng nhập cần 1–64 ký tự, không có khoảng trắng." / "A username needs 1–64 characters and no spaces.";
        USERNAME_TAKEN: "Tên đăng nhập này đã có." / "This username is taken.";
        BAD_PASSWORD: "Mật khẩu cần ít nhất 8 ký tự." / "A password needs at least 8 characters.";
        NOT_YOURSELF: "Không thể tự khóa tài khoản của mình." / "You cannot disable your own account.";
    }
}

/// The name of an indicator.
pub fn indicator_name(key: &str) -> Text {
    match key {
        "awareness" => t::IND_AWARENESS,
        "adoption" => t::IND_ADOPTION,
        "staff_trained" => t::IND_STAFF,
        _ => Text { vi: "?", en: "?" },
    }
}

/// What an indicator counts.
pub fn indicator_description(key: &str) -> Text {
    match key {
        "awareness" => t::IND_AWARENESS_DESC,
        "adoption" => t::IND_ADOPTION_DESC,
        "staff_trained" => t::IND_STAFF_DESC,
        _ => Text { vi: "", en: "" },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_at_the_edge_of_the_calendar_do_not_panic() {
        let last = OffsetDateTime::from_unix_timestamp(253_402_300_799).expect("9999-12-31");
        assert_eq!(Lang::Vi.local(last), "31/12/9999 23:59");
        assert_eq!(Lang::En.time_ms(i64::MIN), i64::MIN.to_string());
        assert_eq!(
            Lang::Vi.time("9999-12-31T23:59:59-23:59"),
            "9999-12-31T23:59:59-23:59"
        );
    }

    #[test]
    fn numbers_dates_and_links_follow_the_language() {
        assert_eq!(Lang::Vi.percent(2.0 / 3.0), "66,7%");
        assert_eq!(Lang::En.percent(2.0 / 3.0), "66.7%");
        assert_eq!(Lang::Vi.percent(0.6), "60%");
        assert_eq!(Lang::Vi.date("2015-12-31"), "31/12/2015");
        assert_eq!(Lang::En.date("2015-12-31"), "2015-12-31");
        assert_eq!(Lang::Vi.time("2015-06-01T01:30:00Z"), "01/06/2015 08:30");
        assert_eq!(
            Lang::En.link("/?as_of=2015-12-31"),
            "/?as_of=2015-12-31&lang=en"
        );
        assert_eq!(Lang::Vi.link("/plan"), "/plan");
        assert_eq!(Lang::from_query(Some("as_of=x&lang=en")), Lang::En);
        assert_eq!(Lang::from_query(Some("lang=fr")), Lang::Vi);
    }
}
