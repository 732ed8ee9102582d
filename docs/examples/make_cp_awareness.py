"""Writes docs/examples/cp-awareness.xlsx: the cleaner-production awareness questionnaire as
an ODK/Kobo XLSForm, made with openpyxl the way a form author's spreadsheet is, not by
sachhon's own writer. docs/examples/questionnaire.json is the same questionnaire as JSON; the
tests check that importing this workbook gives exactly that definition.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install openpyxl
    /tmp/venv/bin/python docs/examples/make_cp_awareness.py

pyxform (`xls2xform docs/examples/cp-awareness.xlsx`) converts the same file for ODK.
"""

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

SURVEY = [
    ["type", "name", "label::Vietnamese (vi)", "label::English (en)", "constraint",
     "required"],
    ["note", "intro",
     "Phiếu này tìm hiểu mức độ hiểu biết của cơ sở về sản xuất sạch hơn (SXSH).",
     "This form asks how well your facility knows cleaner production (CP).", None, None],
    ["select_one yes_no", "knows_cp",
     "Cơ sở đã từng nghe về sản xuất sạch hơn chưa?",
     "Has your facility heard of cleaner production?", None, "no"],
    ["select_multiple topics", "topics",
     "Cơ sở quan tâm đến những chủ đề nào?",
     "Which topics is your facility interested in?", None, None],
    ["select_one benefit", "main_benefit",
     "Theo anh/chị, lợi ích lớn nhất của SXSH là gì?",
     "What is the main benefit of CP, in your view?", None, None],
    ["select_one plan", "plans_cp",
     "Cơ sở có dự định áp dụng SXSH trong 12 tháng tới không?",
     "Does your facility plan to apply CP in the next 12 months?", None, None],
    ["integer", "staff_count",
     "Cơ sở có bao nhiêu lao động?",
     "How many people does your facility employ?", ". >= 1 and . <= 50000", None],
    ["decimal", "savings_pct",
     "Mức tiết kiệm chi phí ước tính nhờ SXSH (%)",
     "Estimated cost savings from CP (%)", ". >= 0 and . <= 100", None],
    ["text", "notes",
     "Ý kiến khác",
     "Other comments", None, None],
]

CHOICES = [
    ["list_name", "name", "label::Vietnamese (vi)", "label::English (en)", "score"],
    ["yes_no", "yes", "Có", "Yes", 2],
    ["yes_no", "no", "Không", "No", 0],
    ["topics", "energy", "Tiết kiệm năng lượng", "Energy saving", 1],
    ["topics", "water", "Tiết kiệm nước", "Water saving", 1],
    ["topics", "materials", "Sử dụng hiệu quả nguyên liệu", "Efficient use of materials", 1],
    ["topics", "waste", "Giảm chất thải", "Less waste", 1],
    ["benefit", "lower_costs", "Giảm chi phí sản xuất", "Lower production costs", 2],
    ["benefit", "environment", "Bảo vệ môi trường", "Protecting the environment", 1],
    ["benefit", "dont_know", "Không biết", "Don't know", 0],
    ["plan", "yes", "Có", "Yes", 2],
    ["plan", "considering", "Đang cân nhắc", "Considering it", 1],
    ["plan", "no", "Không", "No", 0],
]

SETTINGS = [
    ["form_title", "form_id", "version", "default_language", "pass_mark"],
    ["Nhận thức về sản xuất sạch hơn", "cp_awareness", "2026010101", "Vietnamese (vi)", 4],
]


def main() -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in [("survey", SURVEY), ("choices", CHOICES), ("settings", SETTINGS)]:
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    out = Path(__file__).with_name("cp-awareness.xlsx")
    workbook.save(out)
    print(out)


if __name__ == "__main__":
    main()
