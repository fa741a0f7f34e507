#!/usr/bin/env python3
"""Generate a graduate roster file in the national layout, like the one a school exports from the
employment management system (就业管理系统).

    python3 tools/demo/generate_roster.py --format=xlsx --output=roster-2022.xlsx

By default it writes the 6,338 graduates of class 2022 of the demo school (院校代码 4111010001,
京华大学) with the columns of the graduate part of data/codes/roster-columns.csv. A few columns
(分校名称, 专业方向, 就业协议书号, 家庭电话) stay empty, as in a roster before signing. The people are
synthetic: ID numbers carry a correct GB 11643 check digit, a birth date plausible for the level of
study and a region code under a province of data/codes/provinces.csv, and phone numbers are
13800000000 + n for the n-th row (0-based). A few percent of the graduates have the training modes
21 or 41 (定向/委培 不可网签), and some names contain characters outside the BMP (𡐤, 𠀾). The
departments are the DEPARTMENTS list of tools/demo/load_demo.py, read from that file, so that the
department names equal the ones the demo loader creates. The same --seed gives the same file.

--bad-rows makes three rows invalid, for acceptance tests of the roster validator. With N rows,
these are the spreadsheet rows (the header is row 1):
    N // 4 + 2        身份证号 with a wrong check digit
    N // 2 + 2        民族代码 99, which is not in the table
    3 * N // 4 + 2    学号 repeating the one of row N // 8 + 2
Every other row is valid. The rows are also printed on standard error.

Uses only the Python standard library.
"""

import argparse
import ast
import csv
import datetime
import io
import pathlib
import random
import sys
import zipfile
from xml.sax.saxutils import escape

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
CODES_DIR = REPO_ROOT / "data" / "codes"
LOAD_DEMO = REPO_ROOT / "tools" / "demo" / "load_demo.py"

FORMATS = ("csv-utf8", "csv-utf8-bom", "csv-gb18030", "xlsx")
CSV_ENCODINGS = {"csv-utf8": "utf-8", "csv-utf8-bom": "utf-8-sig", "csv-gb18030": "gb18030"}

# Levels of study: education level code (学历代码), share of the graduates, age at graduation,
# length of schooling in years, and the digit that student numbers of the level carry.
LEVELS = {
    "专科": {"code": "41", "share": 4, "age": 21, "years": 3, "digit": "4"},
    "本科": {"code": "31", "share": 60, "age": 22, "years": 4, "digit": "1"},
    "硕士": {"code": "11", "share": 30, "age": 25, "years": 3, "digit": "2"},
    "博士": {"code": "01", "share": 6, "age": 29, "years": 4, "digit": "3"},
}

# Majors by department and level: (专业代码, 专业). The codes are modelled on the Ministry of
# Education's catalogues (undergraduate majors with their T and K suffixes, graduate disciplines,
# and the 2021 higher vocational majors) but were not checked entry by entry; they only need to be
# plausible demo data.
MAJORS = {
    "文学院": {
        "本科": [("050101", "汉语言文学"), ("050102", "汉语言"), ("050107T", "秘书学")],
        "硕士": [("050101", "文艺学"), ("050103", "汉语言文字学"), ("050106", "中国现当代文学")],
        "博士": [("050105", "中国古代文学")],
    },
    "历史学院": {
        "本科": [("060101", "历史学"), ("060103", "考古学")],
        "硕士": [("060200", "中国史"), ("060300", "世界史")],
        "博士": [("060200", "中国史")],
    },
    "哲学系": {
        "本科": [("010101", "哲学")],
        "硕士": [("010101", "马克思主义哲学"), ("010102", "中国哲学")],
        "博士": [("010103", "外国哲学")],
    },
    "外国语学院": {
        "专科": [("570201", "商务英语")],
        "本科": [("050201", "英语"), ("050207", "日语"), ("050203", "德语")],
        "硕士": [("050201", "英语语言文学"), ("050211", "外国语言学及应用语言学"), ("055101", "英语笔译")],
        "博士": [("050201", "英语语言文学")],
    },
    "经济学院": {
        "专科": [("530302", "大数据与会计")],
        "本科": [("020101", "经济学"), ("020301K", "金融学"), ("020401", "国际经济与贸易")],
        "硕士": [("020101", "政治经济学"), ("020204", "金融学"), ("025100", "金融")],
        "博士": [("020202", "区域经济学")],
    },
    "法学院": {
        "本科": [("030101K", "法学")],
        "硕士": [("030101", "法学理论"), ("030103", "宪法学与行政法学"), ("035101", "法律（非法学）")],
        "博士": [("030104", "刑法学")],
    },
    "数学科学学院": {
        "本科": [("070101", "数学与应用数学"), ("071201", "统计学")],
        "硕士": [("070101", "基础数学"), ("070104", "应用数学"), ("071400", "统计学")],
        "博士": [("070102", "计算数学")],
    },
    "物理学院": {
        "本科": [("070201", "物理学"), ("070202", "应用物理学")],
        "硕士": [("070201", "理论物理"), ("070205", "凝聚态物理")],
        "博士": [("070207", "光学")],
    },
    "化学与分子工程学院": {
        "本科": [("070301", "化学"), ("070302", "应用化学")],
        "硕士": [("070301", "无机化学"), ("070303", "有机化学"), ("070304", "物理化学")],
        "博士": [("070305", "高分子化学与物理")],
    },
    "生命科学学院": {
        "本科": [("071001", "生物科学"), ("071002", "生物技术")],
        "硕士": [("071010", "生物化学与分子生物学"), ("071007", "遗传学")],
        "博士": [("071009", "细胞生物学")],
    },
    "计算机学院": {
        "专科": [("510201", "计算机应用技术")],
        "本科": [("080901", "计算机科学与技术"), ("080902", "软件工程"), ("080910T", "数据科学与大数据技术")],
        "硕士": [("081202", "计算机软件与理论"), ("081203", "计算机应用技术"), ("085400", "电子信息")],
        "博士": [("081202", "计算机软件与理论")],
    },
    "电子信息工程学院": {
        "专科": [("510101", "电子信息工程技术")],
        "本科": [("080701", "电子信息工程"), ("080703", "通信工程"), ("080714T", "电子信息科学与技术")],
        "硕士": [("081001", "通信与信息系统"), ("080902", "电路与系统"), ("085400", "电子信息")],
        "博士": [("081002", "信号与信息处理")],
    },
    "环境科学与工程学院": {
        "本科": [("082502", "环境工程"), ("082503", "环境科学")],
        "硕士": [("083001", "环境科学"), ("083002", "环境工程")],
        "博士": [("083001", "环境科学")],
    },
    "新闻与传播学院": {
        "本科": [("050301", "新闻学"), ("050302", "广播电视学"), ("050304", "传播学")],
        "硕士": [("050301", "新闻学"), ("050302", "传播学"), ("055200", "新闻与传播")],
        "博士": [("050301", "新闻学")],
    },
    "马克思主义学院": {
        "本科": [("030503", "思想政治教育")],
        "硕士": [("030501", "马克思主义基本原理"), ("030505", "思想政治教育")],
        "博士": [("030505", "思想政治教育")],
    },
}

# Relative department sizes; a department not listed has weight 1.
DEPARTMENT_WEIGHTS = {"计算机学院": 2.0, "经济学院": 1.6, "电子信息工程学院": 1.5, "外国语学院": 1.2, "哲学系": 0.4}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_NAME_CHARACTERS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂玉萍红华建文辉力鹏宇晨浩然思雨欣怡子涵梓轩佳琪嘉欣一诺雅婷"
    "志强海燕俊杰晓东国庆春梅丹凤婉清博文铭泽昊天若曦诗涵宁远书瑶天佑静怡泽宇子墨安琪"
)
# Characters outside the BMP (CJK Extension B) that appear in real names.
RARE_CHARACTERS = ("𡐤", "𠀾", "𪚥", "𤭢")
UYGHUR_GIVEN_NAMES = ("买买提", "艾力", "阿依古丽", "热依拉", "阿不都", "古丽娜尔", "吐尔逊", "帕提古丽")

DISTRICTS = ("城关", "新华", "人民", "解放", "东风", "朝阳", "和平", "建设", "胜利", "长安")
STREETS = ("中山路", "人民路", "解放路", "建设路", "文化路", "和平街", "幸福路", "光明街", "新华路", "团结路")
SPONSORS_DIRECTED = ("新疆维吾尔自治区教育厅", "西藏自治区人力资源和社会保障厅", "青海省教育厅", "中国人民解放军某部")
SPONSORS_COMMISSIONED = ("中国航天科技集团有限公司", "国家电网有限公司", "中国石油天然气集团有限公司", "北京市海淀区教育委员会")

# Province shares: the demo school is in Beijing and recruits nationwide.
PROVINCE_WEIGHTS = {"110000": 12, "130000": 6, "370000": 6, "410000": 6, "320000": 5, "510000": 5, "440000": 4}


def read_code_table(file_name):
    """Return the rows of data/codes/<file_name> as dicts."""
    with open(CODES_DIR / file_name, encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def read_demo_departments():
    """Return the DEPARTMENTS list of tools/demo/load_demo.py without running that script."""
    tree = ast.parse(LOAD_DEMO.read_text(encoding="utf-8"), filename=str(LOAD_DEMO))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "DEPARTMENTS" for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise SystemExit(f"error: {LOAD_DEMO} defines no DEPARTMENTS list; the roster needs the demo's department names")


def graduate_columns():
    """Return the Chinese headers of the graduate part of the national layout, in order."""
    rows = read_code_table("roster-columns.csv")
    return [row["column"] for row in sorted(rows, key=lambda row: int(row["order"])) if row["part"] == "graduate"]


def id_check_digit(first17):
    """Return the GB 11643 check character of the 17 digits `first17`."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(first17, weights))
    return "10X98765432"[total % 11]


def weighted_choice(rng, weights):
    """Return a key of `weights` (a dict of key to weight) chosen with those weights."""
    keys = list(weights)
    return rng.choices(keys, weights=[weights[key] for key in keys])[0]


class RosterGenerator:
    """Builds the graduates of one school and class, reproducibly from a seed."""

    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.departments = read_demo_departments()
        missing = [name for name in self.departments if name not in MAJORS]
        if missing:
            raise SystemExit(
                f"error: no majors for the department(s) {', '.join(missing)} of {LOAD_DEMO.name}; "
                "add them to MAJORS in generate_roster.py"
            )
        self.genders = {row["code"]: row["name"] for row in read_code_table("genders.csv")}
        self.ethnicities = {row["code"]: row["name"] for row in read_code_table("ethnicities.csv")}
        self.political = {row["code"]: row["name"] for row in read_code_table("political-status.csv")}
        self.education_levels = {row["code"]: row["name"] for row in read_code_table("education-levels.csv")}
        self.training_modes = {row["code"]: row["name"] for row in read_code_table("training-modes.csv")}
        self.normal_categories = {row["code"]: row["name"] for row in read_code_table("normal-student-categories.csv")}
        self.difficulty_categories = {row["code"]: row["name"] for row in read_code_table("difficulty-categories.csv")}
        # Mainland provinces only: residents of Taiwan, Hong Kong and Macau hold other documents.
        self.provinces = {
            row["code"]: row["name"] for row in read_code_table("provinces.csv") if int(row["code"][:2]) < 70
        }
        self.used_id_numbers = set()
        self.student_sequences = {}

    def person_name(self, index, ethnicity_code):
        """Return a plausible name; every 250th person has a character outside the BMP."""
        if ethnicity_code == "05":
            return f"{self.rng.choice(UYGHUR_GIVEN_NAMES)}·{self.rng.choice(UYGHUR_GIVEN_NAMES)}"
        surname = self.rng.choice(SURNAMES)
        length = 1 if self.rng.random() < 0.3 else 2
        given = "".join(self.rng.choice(GIVEN_NAME_CHARACTERS) for _ in range(length))
        if index % 250 == 7:
            given = given[:-1] + RARE_CHARACTERS[(index // 250) % len(RARE_CHARACTERS)]
        return surname + given

    def id_number(self, region, birth_date, male):
        """Return an unused ID number; the sequence number's last digit is odd for men."""
        while True:
            sequence = self.rng.randrange(0, 500) * 2 + (1 if male else 0)
            first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
            number = first17 + id_check_digit(first17)
            if number not in self.used_id_numbers:
                self.used_id_numbers.add(number)
                return number

    def graduate(self, index):
        """Return one graduate as a dict of Chinese header to text, without its phone number."""
        rng = self.rng
        class_year = self.args.class_year
        department = weighted_choice(rng, {name: DEPARTMENT_WEIGHTS.get(name, 1.0) for name in self.departments})
        offered = MAJORS[department]
        level_name = weighted_choice(rng, {name: LEVELS[name]["share"] for name in offered})
        level = LEVELS[level_name]
        major_code, major_name = rng.choice(offered[level_name])
        postgraduate = level_name in ("硕士", "博士")

        # Professional master's degrees (codes whose third digit is 5, like 085400) take two years.
        years = 2 if level_name == "硕士" and major_code[2] == "5" else level["years"]
        enrolled_year = class_year - years

        male = rng.random() < 0.5
        gender_code = "1" if male else "2"
        ethnicity_code = weighted_choice(
            rng, {"01": 900, "03": 20, "08": 15, "11": 15, "02": 10, "06": 10, "15": 10, "05": 5, "04": 5, "10": 5}
        )
        province_code = weighted_choice(rng, {code: PROVINCE_WEIGHTS.get(code, 2) for code in self.provinces})
        region = province_code[:2] + rng.choice(("0102", "0103", "0104", "0105", "0106"))
        age = level["age"] + rng.choice((-1, 0, 0, 1) if not postgraduate else (-1, 0, 1, 2, 3))
        birth_date = datetime.date(class_year - age, 1, 1) + datetime.timedelta(days=rng.randrange(365))

        political_code = weighted_choice(
            rng,
            {"01": 35, "02": 5, "03": 40, "13": 20} if postgraduate else {"01": 8, "02": 4, "03": 75, "13": 13},
        )
        training_code = weighted_choice(rng, {"1": 945, "21": 25, "41": 15, "22": 10, "42": 5})
        sponsor = ""
        if training_code in ("21", "22"):
            sponsor = rng.choice(SPONSORS_DIRECTED)
        elif training_code in ("41", "42"):
            sponsor = rng.choice(SPONSORS_COMMISSIONED)

        teaching_departments = ("文学院", "数学科学学院", "外国语学院", "历史学院")
        normal_code = "1" if level_name == "本科" and department in teaching_departments and rng.random() < 0.2 else "2"
        difficulty_code = weighted_choice(rng, {"0": 920, "1": 30, "2": 40, "3": 5, "4": 5})

        department_number = self.departments.index(department) + 1
        sequence_key = (enrolled_year, level["digit"], department_number)
        self.student_sequences[sequence_key] = self.student_sequences.get(sequence_key, 0) + 1
        student_number = f"{enrolled_year}{level['digit']}{department_number:02d}{self.student_sequences[sequence_key]:04d}"
        if postgraduate:
            candidate_number = f"{self.args.school_code[-5:]}{enrolled_year % 10}{rng.randrange(10**9):09d}"
            class_name = f"{enrolled_year}级{level_name}研究生{rng.randint(1, 3)}班"
        else:
            candidate_number = f"{enrolled_year % 100:02d}{province_code[:2]}{rng.randrange(10**10):010d}"
            class_name = f"{major_name}{enrolled_year}级{rng.randint(1, 4)}班"

        province = self.provinces[province_code]
        district = rng.choice(DISTRICTS)
        id_number = self.id_number(region, birth_date, male)
        name = self.person_name(index, ethnicity_code)
        graduation_date = f"{class_year}0630" if level_name == "博士" and rng.random() < 0.3 else f"{class_year}0701"
        return {
            "考生号": candidate_number,
            "身份证号": id_number,
            "姓名": name,
            "性别代码": gender_code,
            "性别": self.genders[gender_code],
            "民族代码": ethnicity_code,
            "民族": self.ethnicities[ethnicity_code],
            "政治面貌代码": political_code,
            "政治面貌": self.political[political_code],
            "院校代码": self.args.school_code,
            "院校名称": self.args.school_name,
            "分校名称": "",
            "学历代码": level["code"],
            "学历": self.education_levels[level["code"]],
            "专业代码": major_code,
            "专业": major_name,
            "专业方向": "",
            "培养方式代码": training_code,
            "培养方式": self.training_modes[training_code],
            "定向或委培单位": sponsor,
            "生源所在地代码": region,
            "生源所在地": province,
            "城乡生源": "城镇" if rng.random() < 0.6 else "农村",
            "学制": str(years),
            "入学时间": f"{enrolled_year}0901",
            "毕业时间": graduation_date,
            "师范生类别代码": normal_code,
            "师范生类别": self.normal_categories[normal_code],
            "困难生类别代码": difficulty_code,
            "困难生类别": self.difficulty_categories[difficulty_code],
            "所在院系": department,
            "所在班级": class_name,
            "学号": student_number,
            "出生日期": f"{birth_date:%Y%m%d}",
            "就业协议书号": "",
            "入学前户口所在地派出所": f"{province}公安厅{district}派出所",
            "档案是否转入学校": "是" if rng.random() < 0.9 else "否",
            "户口是否转入学校": "是" if rng.random() < 0.4 else "否",
            "手机号码": "",
            "电子邮箱": f"{student_number}@stu.jinghua.edu.cn",
            "家长姓名": name[0] + "".join(rng.choice(GIVEN_NAME_CHARACTERS) for _ in range(2)),
            "家庭住址": f"{province}{district}区{rng.choice(STREETS)}{rng.randint(1, 300)}号",
            "家庭电话": "",
            "家庭邮编": f"{rng.randint(100000, 850000):06d}",
        }

    def roster(self):
        """Return the graduates in the order of an export: by department, level and student number."""
        graduates = [self.graduate(index) for index in range(self.args.count)]
        level_order = {level["code"]: position for position, level in enumerate(LEVELS.values())}
        graduates.sort(key=lambda row: (self.departments.index(row["所在院系"]), level_order[row["学历代码"]], row["学号"]))
        for number, row in enumerate(graduates):
            row["手机号码"] = str(13800000000 + number)
        return graduates


def inject_bad_rows(graduates):
    """Make the three rows of the module docstring invalid; return their descriptions."""
    count = len(graduates)
    check_digit_index, ethnicity_index, duplicate_index = count // 4, count // 2, 3 * count // 4
    source_index = count // 8

    id_number = graduates[check_digit_index]["身份证号"]
    wrong = "0" if id_number[-1] == "X" else str((int(id_number[-1]) + 1) % 10)
    graduates[check_digit_index]["身份证号"] = id_number[:-1] + wrong
    graduates[ethnicity_index]["民族代码"] = "99"
    graduates[duplicate_index]["学号"] = graduates[source_index]["学号"]
    return [
        f"row {check_digit_index + 2}: 身份证号 with a wrong check digit",
        f"row {ethnicity_index + 2}: 民族代码 99",
        f"row {duplicate_index + 2}: 学号 repeating row {source_index + 2}",
    ]


def write_csv(path, headers, graduates, encoding):
    """Write CSV with CRLF line ends, as Excel does."""
    with open(path, "w", encoding=encoding, newline="") as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(headers)
        for row in graduates:
            writer.writerow([row[header] for header in headers])


def column_letters(index):
    """Return the spreadsheet column name of the 0-based column `index` (0 is A, 26 is AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


# Columns written as numbers, as a school's file often has them after someone typed into Excel.
NUMBER_COLUMNS = ("学号", "学制")


def write_xlsx(path, headers, graduates):
    """Write a minimal XLSX workbook: one sheet of inline strings, with NUMBER_COLUMNS as numbers."""
    sheet = io.StringIO()
    sheet.write(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    letters = [column_letters(index) for index in range(len(headers))]
    for row_number, values in enumerate([dict(zip(headers, headers))] + graduates, start=1):
        sheet.write(f'<row r="{row_number}">')
        for letter, header in zip(letters, headers):
            value = values[header]
            if value == "":
                continue
            reference = f"{letter}{row_number}"
            if row_number > 1 and header in NUMBER_COLUMNS and value.isdigit():
                sheet.write(f'<c r="{reference}"><v>{value}</v></c>')
            else:
                sheet.write(f'<c r="{reference}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        sheet.write("</row>")
    sheet.write("</sheetData></worksheet>")

    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    )
    package_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="毕业生名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", package_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/worksheets/sheet1.xml", sheet.getvalue())


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=6338, help="number of graduates (rows after the header)")
    parser.add_argument("--class-year", type=int, default=2022, help="graduating class, the year of graduation")
    parser.add_argument("--school-code", default="4111010001", help="院校代码 of every row (10 digits)")
    parser.add_argument("--school-name", default="京华大学", help="院校名称 of every row")
    parser.add_argument("--format", choices=FORMATS, default="xlsx", help="file format and, for CSV, encoding")
    parser.add_argument("--output", required=True, help="path of the file to write")
    parser.add_argument("--seed", type=int, default=2022, help="seed of the random generator; equal seeds give equal files")
    parser.add_argument("--bad-rows", action="store_true", help="make three rows invalid (see above)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error(f"--count must be at least 1, got {args.count}")
    if args.bad_rows and args.count < 8:
        parser.error(f"--bad-rows needs --count of at least 8, got {args.count}")
    if len(args.school_code) != 10 or not args.school_code.isdigit():
        parser.error(f"--school-code must be 10 digits, got {args.school_code!r}")
    if not 1950 <= args.class_year <= 2100:
        parser.error(f"--class-year must be a year from 1950 to 2100, got {args.class_year}")
    return args


def main(argv=None):
    args = parse_args(argv)
    headers = graduate_columns()
    graduates = RosterGenerator(args).roster()
    if args.bad_rows:
        for description in inject_bad_rows(graduates):
            print(f"generate_roster: injected {description}", file=sys.stderr)

    if args.format == "xlsx":
        write_xlsx(args.output, headers, graduates)
    else:
        write_csv(args.output, headers, graduates, CSV_ENCODINGS[args.format])
    print(f"generate_roster: wrote {len(graduates)} graduates of class {args.class_year} to {args.output} ({args.format})",
          file=sys.stderr)


if __name__ == "__main__":
    main()
