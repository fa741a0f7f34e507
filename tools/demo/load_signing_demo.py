#!/usr/bin/env python3
"""Prepare the demo school for online signing: signing settings of a class and a demo employer.

    python3 tools/demo/load_signing_demo.py --base-url=http://127.0.0.1:8080 --class-year=current

Run it after load_demo.py, which creates the school and its school_admin account. As school_admin
it submits the signing settings (签约设置) of the class: 在线签约 on, 仅校级审核 (so no department
account is needed to approve), at most 3 termination applications per graduate and one agreement
handler for the whole school. Then it registers the demo employer 京华示范科技有限公司 with the login
demo_employer, as an employer does on the registration page.

Running it again changes nothing: settings that are submitted already are left as they are (the
school may have changed them in the console), and an employer whose login works is not
registered again. Prints a JSON summary on stdout (scripts/run turns it into a table) and its
progress on stderr. Uses only the Python standard library.
"""

import argparse
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from load_demo import DEMO_PASSWORD, ApiError, Session, current_class_year, request_id  # noqa: E402  (after the path change on purpose)

# The characters of a unified social credit code (GB 32100-2015) in value order, without I, O, Z,
# S and V, and the weights 3^i mod 31 of its first 17 positions.
CREDIT_CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_character(first17):
    """Return the GB 32100-2015 check character of the 17 characters `first17`."""
    total = sum(CREDIT_CODE_CHARACTERS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_CHARACTERS[(31 - total % 31) % 31]


# 91 (an enterprise registered with market regulation), 110108 (北京市海淀区) and a made-up
# organisation code.
DEMO_CREDIT_CODE_PREFIX = "91110108MA01JH202"
EMPLOYER = {
    "creditCode": DEMO_CREDIT_CODE_PREFIX + credit_code_check_character(DEMO_CREDIT_CODE_PREFIX),
    "name": "京华示范科技有限公司",
    "contactName": "陈立新",
    "contactPhone": "13900000001",
    "username": "demo_employer",
    "password": DEMO_PASSWORD,
}
EMPLOYER_ROLE = "employer (用人单位)"

MAX_TERMINATION_APPLICATIONS = 3
SCHOOL_HANDLER = {
    "name": "王晓燕",
    "phone": "010-62750001",
    "postalAddress": "北京市海淀区京华路 1 号京华大学学生就业指导中心",
    "postalCode": "100871",
}


def log(message):
    print(f"[signing] {message}", file=sys.stderr, flush=True)


def settings_path(school_id, class_year):
    return f"/v1/schools/{school_id}/classes/{class_year}/signingSettings"


def ensure_signing_settings(school_admin, school_id, class_year):
    """Submit the class's signing settings unless they are submitted already; return the settings."""
    path = settings_path(school_id, class_year)
    settings = school_admin.request("GET", path)
    if settings.get("submitted"):
        log(f"the signing settings of class {class_year} are submitted already; leaving them as they are")
        return settings

    body = {
        "etag": settings.get("etag", ""),
        "onlineSigningEnabled": True,
        "paperRegistrationEnabled": True,
        "destinationRegistrationEnabled": True,
        "reviewMode": "REVIEW_MODE_SCHOOL_ONLY",
        "maxTerminationApplications": MAX_TERMINATION_APPLICATIONS,
        "handlerScope": "HANDLER_SCOPE_WHOLE_SCHOOL",
        "schoolHandler": SCHOOL_HANDLER,
    }
    body["requestId"] = request_id("UpdateSigningSettings", school_id, class_year, body)
    settings = school_admin.request("PUT", path, body)
    log(f"submitted the signing settings of class {class_year}: online signing on, school review only")
    return settings


def ensure_employer(base_url):
    """Register the demo employer unless its login works already; return the employer's user record."""
    try:
        user = Session(base_url).login(EMPLOYER["username"], EMPLOYER["password"])
        log(f"employer login {EMPLOYER['username']} exists already")
        return user
    except ApiError as error:
        if error.status not in (401, 404):
            raise
    body = dict(EMPLOYER, requestId=request_id("RegisterEmployer", EMPLOYER))
    try:
        Session(base_url).request("POST", "/v1/employers:register", body)
        log(f"registered the employer {EMPLOYER['name']} ({EMPLOYER['creditCode']}) with login {EMPLOYER['username']}")
    except ApiError as error:
        raise RuntimeError(
            f"registering the demo employer failed: {error}; when the credit code or the login is taken, the password "
            f"of {EMPLOYER['username']} was changed, so sign in with the new one or start with an empty database"
        ) from error
    return Session(base_url).login(EMPLOYER["username"], EMPLOYER["password"])


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Submit the demo school's signing settings and register a demo employer.")
    parser.add_argument("--base-url", default="http://127.0.0.1:8080", help="gateway address, http://host:port")
    parser.add_argument(
        "--class-year",
        default="current",
        help="class whose signing settings to submit: a year of graduation, or 'current' (the default) for the latest "
        "class that may still sign",
    )
    args = parser.parse_args(argv)
    if args.class_year == "current":
        args.class_year = current_class_year()
    else:
        try:
            args.class_year = int(args.class_year)
        except ValueError:
            parser.error(f"--class-year: expected a year such as 2026 or 'current', got {args.class_year!r}")
    return args


def main(argv=None):
    args = parse_args(argv)

    school_admin = Session(args.base_url)
    try:
        user = school_admin.login("school_admin", DEMO_PASSWORD)
    except ApiError as error:
        raise RuntimeError(f"school_admin cannot sign in ({error}); run load_demo.py first") from error
    school_id = user["schoolId"]

    settings = ensure_signing_settings(school_admin, school_id, args.class_year)
    employer = ensure_employer(args.base_url)

    summary = {
        "classYear": args.class_year,
        "settings": {
            "submitted": settings.get("submitted", False),
            "onlineSigningEnabled": settings.get("onlineSigningEnabled", False),
            "reviewMode": settings.get("reviewMode", ""),
        },
        "employer": {
            "id": employer.get("employerId", ""),
            "name": EMPLOYER["name"],
            "creditCode": EMPLOYER["creditCode"],
            "username": EMPLOYER["username"],
            "password": EMPLOYER["password"],
            "role": EMPLOYER_ROLE,
        },
    }
    json.dump(summary, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ApiError, RuntimeError, ValueError, OSError) as error:
        log(f"error: {error}")
        sys.exit(1)
