"""Schemathesis hooks for .ci/schemathesis.

- Authentication: the admin token everywhere, but an enrolled device's token for the sync push
  and pull (the admin is refused there before the body is read, which would test nothing).
- Real records: path ids and ids inside bodies are, half of the time, the ids of the records
  that .ci/schemathesis seeded, so that generated requests reach real records and not only 404.
- CBOR and XLSX bodies: sent as the raw bytes schemathesis generates (random bytes must get a
  4xx); half of the XLSForm imports send the example form of docs/examples instead.
- The check `refused_request_changes_nothing`: a request answered 4xx leaves the server's state
  hash (`GET /api/v1/sync/state-hash`) as it was before the request.
- Counting: every request is counted into SACHHON_FUZZ_STATS for the script's summary line.

Environment: SACHHON_FUZZ_URL (server base URL), SACHHON_FUZZ_SEED (JSON file of seeded ids
and tokens, written by .ci/schemathesis), SACHHON_FUZZ_STATS (a JSON file this writes).
"""

import json
import os
import re
from collections import Counter

import requests
import schemathesis
from hypothesis import strategies as st

BASE = os.environ["SACHHON_FUZZ_URL"].rstrip("/")
with open(os.environ["SACHHON_FUZZ_SEED"], encoding="utf-8") as seed_file:
    SEED = json.load(seed_file)
STATS_PATH = os.environ["SACHHON_FUZZ_STATS"]

SYNC = r"^/api/v1/sync/(push|pull)$"

# Bodies of push and pull are CBOR, an XLSForm import's an .xlsx workbook: send the generated
# bytes as they are.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
schemathesis.serializer.alias("application/cbor", "application/octet-stream")
schemathesis.serializer.alias(XLSX, "application/octet-stream")


@schemathesis.auth().apply_to(path_regex=SYNC)
class DeviceToken:
    """An enrolled trainer device's access token, for the sync endpoints."""

    def get(self, case, ctx):
        return SEED["device_token"]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.auth().skip_for(path_regex=SYNC)
class AdminToken:
    """The admin token, for everything else (the description itself needs none)."""

    def get(self, case, ctx):
        return SEED["admin_token"]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


# Which seeded record each path's `{id}` names.
PATH_IDS = [
    (r"^/api/v1/devices/\{id\}", "device"),
    (r"^/api/v1/facilities/\{id\}", "facility"),
    (r"^/api/v1/events/\{id\}", "event"),
    (r"^/api/v1/registrations/\{id\}", "registration"),
    (r"^/api/v1/scans/\{id\}", "scan"),
    (r"^/api/v1/ticket-keys/\{id\}", "ticket_key"),
    (r"^/api/v1/questionnaires/\{id\}", "questionnaire"),
    (r"^/api/v1/responses/\{id\}", "response"),
]


def seeded_path_parameters(path):
    """Path parameters that name seeded records, or None."""
    real = {}
    for pattern, kind in PATH_IDS:
        if re.match(pattern, path) and SEED.get(kind):
            real["id"] = SEED[kind]
    if "{key}" in path:
        real["key"] = SEED["question_keys"]
    if "{number}" in path:
        real["number"] = SEED["task_numbers"]
    return real or None


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    real = seeded_path_parameters(context.operation.path)
    if not real or not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    options = {
        name: st.sampled_from(value) if isinstance(value, list) else st.just(value)
        for name, value in real.items()
    }
    seeded = st.fixed_dictionaries(options).map(lambda r: {**path_parameters, **r})
    return st.one_of(st.just(path_parameters), seeded)


# Ids inside JSON bodies that name seeded records, and valid values for fields whose rules a
# JSON schema does not hold (a time within 2000–2099).
BODY_FIELDS = {
    "person_id": SEED["person"],
    "facility_id": SEED["facility"],
    "starts_at": "2026-12-01T08:00:00+07:00",
}
# The CSV import's header, an empty push batch (CBOR `{"ops": []}`) and the example XLSForm.
CSV_HEADER = "name,tax_code,district,sector,cp_potential\n"
EMPTY_PUSH = bytes([0xA1, 0x63]) + b"ops" + bytes([0x80])
XLSFORM = os.path.join(os.path.dirname(__file__), "..", "docs", "examples", "cp-awareness.xlsx")
with open(XLSFORM, "rb") as xlsform_file:
    EXAMPLE_XLSFORM = xlsform_file.read()


@schemathesis.hook
def flatmap_body(context, body):
    """Half of the time, a body that gets past the first checks to the code behind them."""
    path, method = context.operation.path, context.operation.method.upper()
    variants = []
    if path == "/api/v1/enroll":
        variants.append({"token": SEED["enrolment_token"]})
    elif path == "/api/v1/facilities/import" and isinstance(body, str):
        variants.append(CSV_HEADER + body)
    elif path == "/api/v1/sync/push":
        variants.append(EMPTY_PUSH)
    elif path == "/api/v1/questionnaires/xlsform":
        variants.append(EXAMPLE_XLSFORM)
    elif path.startswith("/api/v1/questionnaires") and method in ("POST", "PUT"):
        variants.append(SEED["definition"])
    elif isinstance(body, dict):
        real = {field: value for field, value in BODY_FIELDS.items() if field in body}
        if real:
            variants.append({**body, **real})
    if not variants:
        return st.just(body)
    return st.one_of(st.just(body), st.sampled_from(variants))


@schemathesis.hook
def flatmap_query(context, query):
    """Half of the XLSForm imports name the seeded questionnaire: its next version."""
    if context.operation.path != "/api/v1/questionnaires/xlsform":
        return st.just(query)
    seeded = {**(query or {}), "questionnaire": SEED["questionnaire"]}
    return st.one_of(st.just(query), st.just(seeded))


STATS = Counter()
BEFORE = {}
HASH_SESSION = requests.Session()
HASH_SESSION.headers["Authorization"] = f"Bearer {SEED['admin_token']}"


def state_hash():
    answer = HASH_SESSION.get(f"{BASE}/api/v1/sync/state-hash", timeout=30)
    answer.raise_for_status()
    return answer.json()["state_hash"]


def save_stats():
    with open(STATS_PATH, "w", encoding="utf-8") as stats_file:
        json.dump(dict(STATS), stats_file)


@schemathesis.hook
def before_call(context, case, kwargs):
    BEFORE[id(case)] = state_hash()


@schemathesis.hook
def after_call(context, case, response):
    STATS["requests"] += 1
    STATS[f"{response.status_code // 100}xx"] += 1
    save_stats()


@schemathesis.check
def refused_request_changes_nothing(ctx, response, case):
    """A request answered 4xx leaves the server's state hash unchanged."""
    if not 400 <= response.status_code < 500:
        return None
    before = BEFORE.pop(id(case), None)
    if before is None:
        return None
    after = state_hash()
    STATS["refusals_checked"] += 1
    save_stats()
    if after != before:
        raise AssertionError(
            f"{case.method} {case.formatted_path} was refused with {response.status_code} "
            f"but the state hash changed from {before} to {after}"
        )
    return None
