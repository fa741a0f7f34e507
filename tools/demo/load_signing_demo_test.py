#!/usr/bin/env python3
"""End-to-end test of the online signing demo that scripts/run prepares, against the real stack.

Starts ems-simulator, accounts, warning, sync, signing and the gateway from QUXIANG_BUILD_DIR on
free loopback ports with fresh databases (web/e2e/console_e2e_test.py's Stack). Loads the demo
school with load_demo.py, a 300-graduate roster of the current class with load_roster.py and the
signing settings and demo employer with load_signing_demo.py, as scripts/run does. Then the
employer invites one of the printed graduates over HTTP and the graduate accepts.
"""

import datetime
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

DEMO_DIR = pathlib.Path(__file__).resolve().parent
SOURCE_DIR = DEMO_DIR.parents[1]
sys.path.insert(0, str(DEMO_DIR))
sys.path.insert(0, str(SOURCE_DIR / "web" / "e2e"))
import load_demo  # noqa: E402  (imported after the path change on purpose)
import load_roster  # noqa: E402
import load_signing_demo  # noqa: E402
from console_e2e_test import Stack  # noqa: E402

CURRENT_CLASS_GRADUATES = 300
# Bounds each loader run; the roster of 300 reaches sync within seconds with the short poll
# intervals that Stack sets.
LOADER_TIMEOUT_SECONDS = 120


def run_tool(script, *arguments):
    """Run a demo loader with the Python of this test and return the completed process."""
    return subprocess.run(
        [sys.executable, str(DEMO_DIR / script), *arguments],
        capture_output=True,
        text=True,
        timeout=LOADER_TIMEOUT_SECONDS + 60,
        check=False,
    )


class SigningDemoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for variable in ("QUXIANG_BUILD_DIR", "MYSQL_HOST"):
            if not os.environ.get(variable):
                raise RuntimeError(f"{variable} is not set; run this test through ctest")
        cls.work_dir = pathlib.Path(tempfile.mkdtemp(prefix="quxiang-signing-demo-test-"))
        cls.stack = Stack(pathlib.Path(os.environ["QUXIANG_BUILD_DIR"]), cls.work_dir)
        cls.class_year = load_demo.current_class_year()
        try:
            cls.stack.start(web_root=SOURCE_DIR / "web" / "placeholder")
            cls.base_url = cls.stack.base_url
            cls.demo = cls.run_successful(
                "load_demo.py", f"--operator-password-file={cls.stack.operator_password_file}"
            )
            cls.roster = cls.run_successful(
                "load_roster.py",
                "--class-year=current",
                f"--count={CURRENT_CLASS_GRADUATES}",
                f"--cache-dir={cls.work_dir / 'cache'}",
                f"--timeout={LOADER_TIMEOUT_SECONDS}",
            )
            cls.signing = cls.run_successful("load_signing_demo.py")
        except Exception:
            print(cls.stack.log_tails(), file=sys.stderr)
            cls.tearDownClass()
            raise

    @classmethod
    def run_successful(cls, script, *arguments):
        result = run_tool(script, f"--base-url={cls.base_url}", *arguments)
        if result.returncode != 0:
            raise RuntimeError(f"{script} failed with {result.returncode}:\n{result.stderr}")
        return json.loads(result.stdout)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        shutil.rmtree(cls.work_dir, ignore_errors=True)

    def school_admin(self):
        session = load_demo.Session(self.base_url)
        session.login("school_admin", load_demo.DEMO_PASSWORD)
        return session

    def test_1_current_class_roster_is_listed(self):
        self.assertEqual(self.roster["roster"]["classYear"], self.class_year)
        self.assertEqual(self.roster["roster"]["rowsRead"], CURRENT_CLASS_GRADUATES)
        self.assertEqual(self.roster["roster"]["graduatesListed"], CURRENT_CLASS_GRADUATES)
        self.assertEqual(len(self.roster["logins"]), load_roster.DEMO_GRADUATE_COUNT)
        for login in self.roster["logins"]:
            with self.subTest(username=login["username"]):
                self.assertTrue(login["verified"])

        query = urllib.parse.urlencode({"pageSize": 1})
        school_id = self.demo["school"]["id"]
        listed = self.school_admin().request("GET", f"/v1/schools/{school_id}/classes/{self.class_year}/graduates?{query}")
        self.assertEqual(listed.get("totalSize", 0), CURRENT_CLASS_GRADUATES)

    def test_2_rosters_share_no_people(self):
        # scripts/run loads both rosters into one school, so the student numbers (and with them the
        # logins) and the ID numbers of the current class must differ from those of class 2022.
        demo_roster = load_roster.cached_roster(self.work_dir / "cache", load_roster.CLASS_YEAR, load_roster.DEFAULT_SEED)
        current_roster = load_roster.cached_roster(
            self.work_dir / "cache", self.class_year, self.class_year, CURRENT_CLASS_GRADUATES
        )
        demo = load_roster.read_roster_records(demo_roster.read_bytes())
        current = load_roster.read_roster_records(current_roster.read_bytes())
        self.assertEqual(len(current), CURRENT_CLASS_GRADUATES)
        for column in ("学号", "身份证号"):
            with self.subTest(column=column):
                shared = {record[column] for record in demo} & {record[column] for record in current}
                self.assertEqual(shared, set())

    def test_3_settings_are_submitted(self):
        self.assertEqual(self.signing["classYear"], self.class_year)
        school_id = self.demo["school"]["id"]
        settings = self.school_admin().request("GET", f"/v1/schools/{school_id}/classes/{self.class_year}/signingSettings")
        self.assertTrue(settings.get("submitted"))
        self.assertTrue(settings.get("onlineSigningEnabled"))
        self.assertEqual(settings.get("reviewMode"), "REVIEW_MODE_SCHOOL_ONLY")
        self.assertEqual(settings.get("maxTerminationApplications"), load_signing_demo.MAX_TERMINATION_APPLICATIONS)
        self.assertEqual(settings.get("schoolHandler", {}).get("postalCode"), load_signing_demo.SCHOOL_HANDLER["postalCode"])

    def test_4_employer_invites_and_graduate_accepts(self):
        employer_login = self.signing["employer"]
        employer = load_demo.Session(self.base_url)
        user = employer.login(employer_login["username"], employer_login["password"])
        self.assertEqual(user["kind"], "PRINCIPAL_KIND_EMPLOYER")
        self.assertEqual(user["employerId"], employer_login["id"])

        graduate_login = self.roster["logins"][0]
        student_number = graduate_login["username"].split("-", 1)[1]
        deadline = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=7)
        invitation = employer.request(
            "POST",
            f"/v1/employers/{employer_login['id']}/invitations",
            {
                "requestId": f"signing-demo-test-{os.getpid()}",
                "schoolId": self.demo["school"]["id"],
                "studentNumber": student_number,
                "classYear": self.class_year,
                "answerDeadline": deadline.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
        self.assertEqual(invitation.get("state"), "ONLINE_SIGNING_STATE_INVITED")

        graduate = load_demo.Session(self.base_url)
        graduate_user = graduate.login(graduate_login["username"], graduate_login["password"])
        received = graduate.request(
            "GET", f"/v1/schools/{graduate_user['schoolId']}/graduates/{graduate_user['graduateId']}/invitations"
        )
        self.assertEqual([signing["id"] for signing in received.get("signings", [])], [invitation["id"]])
        accepted = graduate.request(
            "POST",
            f"/v1/invitations/{invitation['id']}:accept",
            {"requestId": f"signing-demo-test-accept-{os.getpid()}", "etag": invitation.get("etag", "")},
        )
        # 仅校级审核: the accepted signing waits for the school's review.
        self.assertEqual(accepted.get("state"), "ONLINE_SIGNING_STATE_PENDING_REVIEW")

    def test_5_rerun_changes_nothing(self):
        school_id = self.demo["school"]["id"]
        path = f"/v1/schools/{school_id}/classes/{self.class_year}/signingSettings"
        before = self.school_admin().request("GET", path)

        again = self.run_successful("load_signing_demo.py")
        self.assertEqual(again, self.signing)
        self.assertEqual(self.school_admin().request("GET", path).get("etag"), before.get("etag"))

    def test_6_bad_class_year_is_a_usage_error(self):
        for script in ("load_signing_demo.py", "load_roster.py"):
            with self.subTest(script=script):
                result = run_tool(script, f"--base-url={self.base_url}", "--class-year=next")
                self.assertEqual(result.returncode, 2)
                self.assertIn("'current'", result.stderr)
                self.assertEqual(result.stdout, "")

    def test_credit_code_check_character(self):
        # Codes of real companies, as in libs/validation's tests.
        for code in ("91440300708461136T", "91330100799655058B", "91110108551385082Q"):
            with self.subTest(code=code):
                self.assertEqual(load_signing_demo.credit_code_check_character(code[:17]), code[17])
        # A sum that is a multiple of 31 has the check character 0.
        self.assertEqual(load_signing_demo.credit_code_check_character("0" * 17), "0")

    def test_current_class_year_follows_the_beijing_deadline(self):
        utc = datetime.timezone.utc
        cases = {
            datetime.datetime(2026, 12, 4, tzinfo=utc): 2026,
            # 2027-01-31 23:59 and 2027-02-01 00:00 in Beijing time.
            datetime.datetime(2027, 1, 31, 15, 59, tzinfo=utc): 2026,
            datetime.datetime(2027, 1, 31, 16, 0, tzinfo=utc): 2027,
            datetime.datetime(2027, 6, 1, tzinfo=utc): 2027,
        }
        for now, expected in cases.items():
            with self.subTest(now=now):
                self.assertEqual(load_demo.current_class_year(now), expected)


if __name__ == "__main__":
    unittest.main(verbosity=2)
