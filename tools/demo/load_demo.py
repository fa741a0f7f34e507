#!/usr/bin/env python3
"""Load the demo school into a running Quxiang through the gateway's HTTP API.

    python3 tools/demo/load_demo.py --base-url=http://127.0.0.1:8080 \\
        --operator-password-file=var/operator-password

Logs in as the platform operator and creates province 11 北京市 (all three modules, three-party
agreements), the school 京华大学 with its departments, two school accounts and two department
accounts. Running it again changes nothing: every write carries a request id derived from its
content, so the services replay the first result, and a record that exists already
(409 ALREADY_EXISTS) is read instead of created. At the end it logs in as every demo account to
prove that the printed passwords work.

Prints a JSON summary of the demo logins on stdout (scripts/run turns it into a table) and its
progress on stderr. Uses only the Python standard library.
"""

import argparse
import datetime
import hashlib
import http.client
import json
import sys
import urllib.parse

# Fixed and published in the README: the demo accounts exist to be logged into. The password
# meets the account policy (8 to 64 characters, three of four character classes).
DEMO_PASSWORD = "Jinghua@2024"

OPERATOR_USERNAME = "operator"

PROVINCE = {"code": "11", "name": "北京市"}
ALL_MODULES = ["MODULE_EMPLOYMENT", "MODULE_ARCHIVE", "MODULE_HOUSEHOLD"]
AGREEMENT_TYPE = "AGREEMENT_TYPE_THREE_PARTY"

SCHOOL = {"code": "4111010001", "name": "京华大学", "provinceCode": PROVINCE["code"]}

BEIJING_TIME = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")

DEPARTMENTS = [
    "文学院",
    "历史学院",
    "哲学系",
    "外国语学院",
    "经济学院",
    "法学院",
    "数学科学学院",
    "物理学院",
    "化学与分子工程学院",
    "生命科学学院",
    "计算机学院",
    "电子信息工程学院",
    "环境科学与工程学院",
    "新闻与传播学院",
    "马克思主义学院",
]


def grants(access_by_module):
    """Return the JSON grants list for a {module: access} mapping."""
    return [{"module": module, "access": access} for module, access in access_by_module.items()]


ALL_READ_WRITE = {module: "ACCESS_READ_WRITE" for module in ALL_MODULES}
ALL_READ_ONLY = {module: "ACCESS_READ_ONLY" for module in ALL_MODULES}

# School accounts, created by the operator.
SCHOOL_USERS = [
    {
        "username": "school_admin",
        "displayName": "王晓燕",
        "kind": "PRINCIPAL_KIND_SCHOOL",
        "grants": grants(ALL_READ_WRITE),
        "role": "school staff, read-write (学校用户，读写)",
    },
    {
        "username": "school_viewer",
        "displayName": "李建国",
        "kind": "PRINCIPAL_KIND_SCHOOL",
        "grants": grants(ALL_READ_ONLY),
        "role": "school staff, read-only (学校用户，只读)",
    },
]

# Department accounts, created by school_admin as a school employment office would
# (账号管理). The department names must be in DEPARTMENTS.
DEPARTMENT_USERS = [
    {
        "username": "dept_wenxue",
        "displayName": "张丽",
        "kind": "PRINCIPAL_KIND_DEPARTMENT",
        "departmentName": "文学院",
        "grants": grants({"MODULE_EMPLOYMENT": "ACCESS_READ_WRITE"}),
        "role": "department staff of 文学院, read-write (院系用户，读写)",
    },
    {
        "username": "dept_jisuanji",
        "displayName": "赵强",
        "kind": "PRINCIPAL_KIND_DEPARTMENT",
        "departmentName": "计算机学院",
        "grants": grants({"MODULE_EMPLOYMENT": "ACCESS_READ_ONLY"}),
        "role": "department staff of 计算机学院, read-only (院系用户，只读)",
    },
]


class ApiError(Exception):
    """An error response of the gateway: HTTP status and the body {code, reason, message, ...}."""

    def __init__(self, method, path, status, body):
        self.status = status
        self.reason = body.get("reason", "") if isinstance(body, dict) else ""
        self.message = body.get("message", "") if isinstance(body, dict) else str(body)
        super().__init__(f"{method} {path} failed with HTTP {status} {self.reason}: {self.message}")


class Session:
    """A browser-like session against the gateway: keeps the cookies that login sets and sends
    the CSRF header on writes."""

    def __init__(self, base_url, timeout_seconds=30):
        url = urllib.parse.urlsplit(base_url)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"--base-url must be http://host:port, got {base_url!r}")
        self.host = url.hostname
        self.port = url.port or 80
        self.timeout_seconds = timeout_seconds
        self.cookies = {}

    def request(self, method, path, body=None):
        """Send one request and return the decoded JSON response; raise ApiError on HTTP >= 400."""
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method != "GET" and "qx_csrf" in self.cookies:
            headers["X-CSRF-Token"] = self.cookies["qx_csrf"]

        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_seconds)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            self._store_cookies(response.headers.get_all("Set-Cookie") or [])
        except (OSError, http.client.HTTPException) as error:
            raise RuntimeError(
                f"{method} {path}: cannot reach the gateway at http://{self.host}:{self.port} ({error}); "
                "is it running?"
            ) from error
        finally:
            connection.close()

        try:
            decoded = json.loads(raw.decode("utf-8")) if raw else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            decoded = raw.decode("utf-8", errors="replace")
        if response.status >= 400:
            raise ApiError(method, path, response.status, decoded)
        return decoded

    def _store_cookies(self, set_cookie_headers):
        for header in set_cookie_headers:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower().replace(" ", ""):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value

    def login(self, username, password):
        """Log in and return the user record of the login response."""
        response = self.request("POST", "/v1/sessions:login", {"username": username, "password": password})
        if "qx_session" not in self.cookies or "qx_csrf" not in self.cookies:
            raise RuntimeError("the login response did not set the qx_session and qx_csrf cookies")
        return response.get("user", {})


def current_class_year(now=None):
    """Return the latest graduating class that may still act at `now` (default: the current time).

    Follows sync's class rule: class Y may sign and register until January 31 of Y + 1 in
    Beijing time, so in January the class of the previous year is still the current one.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    beijing = now.astimezone(BEIJING_TIME)
    return beijing.year if beijing.month >= 2 else beijing.year - 1


def request_id(*parts):
    """Return an idempotency key derived from the content of a write.

    The same write sent again gets the same key, so the service replays its first result. A
    changed write gets a new key, because the service rejects a key reused for another body.
    """
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return "demo-" + digest.hexdigest()[:32]


def log(message):
    print(f"[demo] {message}", file=sys.stderr, flush=True)


def ensure_province(operator):
    """Create the province when missing and enable every module with three-party agreements."""
    path = "/v1/provinces?" + urllib.parse.urlencode({"requestId": request_id("CreateProvince", PROVINCE)})
    try:
        operator.request("POST", path, PROVINCE)
        log(f"province {PROVINCE['code']} {PROVINCE['name']} created (or replayed)")
    except ApiError as error:
        if error.status != 409:
            raise
        log(f"province {PROVINCE['code']} exists already")

    province = operator.request("GET", f"/v1/provinces/{PROVINCE['code']}")
    if sorted(province.get("enabledModules", [])) == sorted(ALL_MODULES) and (
        province.get("agreementType") == AGREEMENT_TYPE
    ):
        return province

    # The etag is part of the request, so a province changed since the last run gets a new key.
    configure = {
        "enabledModules": ALL_MODULES,
        "agreementType": AGREEMENT_TYPE,
        "etag": province.get("etag", ""),
    }
    configure["requestId"] = request_id("ConfigureProvince", PROVINCE["code"], configure)
    province = operator.request("POST", f"/v1/provinces/{PROVINCE['code']}:configure", configure)
    log("enabled all modules and three-party agreements for the province")
    return province


def ensure_school(operator, base_url):
    """Create the school when missing and return it."""
    path = "/v1/schools?" + urllib.parse.urlencode({"requestId": request_id("CreateSchool", SCHOOL)})
    try:
        school = operator.request("POST", path, SCHOOL)
        log(f"school {SCHOOL['code']} {SCHOOL['name']} created (or replayed), id {school['id']}")
        return school
    except ApiError as error:
        if error.status != 409:
            raise

    # The API has no lookup of a school by code. The first result was not replayed, so something
    # other than this loader created the school. The login of its demo administrator, if that
    # account exists, returns the school id.
    log(f"school {SCHOOL['code']} exists already; finding it through school_admin")
    admin = Session(base_url)
    try:
        user = admin.login("school_admin", DEMO_PASSWORD)
    except ApiError as error:
        raise RuntimeError(
            f"school {SCHOOL['code']} exists but the demo account school_admin cannot log in ({error}); "
            "start from an empty database (for scripts/run: stop it and remove var/mariadb) "
            "or create school_admin with the demo password"
        ) from error
    school = operator.request("GET", f"/v1/schools/{user['schoolId']}")
    if school.get("code") != SCHOOL["code"]:
        raise RuntimeError(f"school_admin belongs to school {school.get('code')}, not {SCHOOL['code']}")
    return school


def ensure_departments(operator, school_id):
    body = {"schoolId": school_id, "names": DEPARTMENTS}
    body["requestId"] = request_id("UpsertDepartments", body)
    response = operator.request("POST", f"/v1/schools/{school_id}/departments:upsert", body)
    log(f"departments: {response.get('createdCount', 0)} created, {len(response.get('departments', []))} in total")
    return response.get("departments", [])


def find_user(session, school_id, username):
    """Return the user `username` of the school, or None."""
    query = urllib.parse.urlencode({"query": username, "pageSize": 100})
    response = session.request("GET", f"/v1/schools/{school_id}/users?{query}")
    for user in response.get("users", []):
        if user.get("username") == username:
            return user
    return None


def ensure_user(session, school_id, account):
    """Create the staff account `account` (one entry of SCHOOL_USERS or DEPARTMENT_USERS)."""
    body = {key: value for key, value in account.items() if key != "role"}
    body["schoolId"] = school_id
    body["password"] = DEMO_PASSWORD
    body["requestId"] = request_id("CreateUser", body)
    try:
        user = session.request("POST", f"/v1/schools/{school_id}/users", body)
        log(f"{account['username']} created (or replayed): {account['role']}")
        return user
    except ApiError as error:
        if error.status != 409:
            raise

    user = find_user(session, school_id, account["username"])
    if user is None:
        # The username is taken by an account of another school or of another kind.
        raise RuntimeError(f"the username {account['username']} is taken by an account outside school {school_id}")
    if user.get("kind") != account["kind"]:
        raise RuntimeError(f"{account['username']} exists with kind {user.get('kind')}, expected {account['kind']}")
    log(f"{account['username']} exists already")
    return user


def verify_login(base_url, username, password):
    """Log in as `username` and return True when it works; log the reason when it does not."""
    try:
        Session(base_url).login(username, password)
        return True
    except ApiError as error:
        log(f"WARNING: {username} cannot log in with the demo password: {error}")
        return False


def main():
    parser = argparse.ArgumentParser(description="Load the demo school through the gateway's HTTP API.")
    parser.add_argument("--base-url", default="http://127.0.0.1:8080", help="gateway address, http://host:port")
    parser.add_argument(
        "--operator-password-file", required=True, help="file holding the password of the operator account"
    )
    args = parser.parse_args()

    with open(args.operator_password_file, encoding="utf-8") as file:
        operator_password = file.readline().strip()

    operator = Session(args.base_url)
    operator.login(OPERATOR_USERNAME, operator_password)
    log("logged in as operator")

    province = ensure_province(operator)
    school = ensure_school(operator, args.base_url)
    school_id = school["id"]
    departments = ensure_departments(operator, school_id)
    for account in SCHOOL_USERS:
        ensure_user(operator, school_id, account)

    school_admin = Session(args.base_url)
    school_admin.login("school_admin", DEMO_PASSWORD)
    for account in DEPARTMENT_USERS:
        ensure_user(school_admin, school_id, account)

    logins = [
        {
            "username": OPERATOR_USERNAME,
            "password": operator_password,
            "role": "platform operator (平台运维)",
            "verified": True,
        }
    ]
    for account in SCHOOL_USERS + DEPARTMENT_USERS:
        logins.append(
            {
                "username": account["username"],
                "password": DEMO_PASSWORD,
                "role": account["role"],
                "verified": verify_login(args.base_url, account["username"], DEMO_PASSWORD),
            }
        )

    summary = {
        "baseUrl": args.base_url,
        "province": {
            "code": province.get("code"),
            "name": province.get("name"),
            "enabledModules": province.get("enabledModules", []),
            "agreementType": province.get("agreementType"),
        },
        "school": {"id": school_id, "code": school.get("code"), "name": school.get("name")},
        "departments": [department.get("name") for department in departments],
        "logins": logins,
    }
    json.dump(summary, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    # A demo account whose password someone changed is reported in the summary, not fatal:
    # the rest of the demo still works.
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ApiError, RuntimeError, ValueError, OSError) as error:
        log(f"error: {error}")
        sys.exit(1)
