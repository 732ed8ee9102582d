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
const VIETNAM: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
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
        QR_ADMIN_ONLY: "Chỉ quản trị viên xem được mã QR kích hoạt." / "Only administrators can see enrolment QR codes.";
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
