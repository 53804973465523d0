"""Demo people for `manage.py seed_demo`: the operator (示例通信), its departments and staff,
customers and their addresses, all fictional.

Pure data and generators, no ORM, no I/O: everything random comes from a `random.Random` the
caller seeds, so one seed always gives the same data set. Field values are the plain strings the
models store (tier, department level), so this module does not need to import the models; a test
checks they match the models' choices.
"""

import random
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

from kernel.roles import ADMINISTRATOR, AGENT, SUPERVISOR

OPERATOR = "示例通信"
DEMO_PASSWORD = "demo12345"

# --- organisation ---------------------------------------------------------------------------

# (code, name, level, parent code): province → city → district → store.
DEPARTMENTS = [
    ("gd", f"{OPERATOR}广东省分公司", "province", None),
    ("gd-csc", "省公司客户服务中心", "province", "gd"),
    ("gd-noc", "省公司网络运维部", "province", "gd"),
    ("gd-billing", "省公司计费结算中心", "province", "gd"),
    ("gd-marketing", "省公司市场营销部", "province", "gd"),
    # Level-3 escalations land here (settings.SLA_REGULATOR_DESK).
    ("regulator-desk", "申诉风险处置组", "province", "gd"),
    ("gz", "广州分公司", "city", "gd"),
    ("gz-tianhe", "广州天河区分公司", "district", "gz"),
    ("gz-haizhu", "广州海珠区分公司", "district", "gz"),
    ("gz-tianhe-store", "广州天河路营业厅", "store", "gz-tianhe"),
    ("sz", "深圳分公司", "city", "gd"),
    ("sz-nanshan", "深圳南山区分公司", "district", "sz"),
    ("sz-futian", "深圳福田区分公司", "district", "sz"),
    ("sz-futian-store", "深圳华强北营业厅", "store", "sz-futian"),
]
DEPARTMENT_CODES = tuple(code for code, *_ in DEPARTMENTS)
# Every department is supervised by the demo supervisor, so one login can approve everything.
SUPERVISOR_USERNAME = "supervisor"


@dataclass(frozen=True)
class StaffMember:
    username: str
    first_name: str
    role: str
    departments: tuple[str, ...]
    is_superuser: bool = False
    is_staff: bool = False


STAFF = [
    StaffMember("admin", "赵敏", ADMINISTRATOR, ("gd",), is_superuser=True, is_staff=True),
    StaffMember(SUPERVISOR_USERNAME, "孙丽", SUPERVISOR, DEPARTMENT_CODES, is_staff=True),
    StaffMember("agent1", "王芳", AGENT, ("gd", "gd-csc")),
    StaffMember("agent2", "李强", AGENT, ("gd-csc", "gd-marketing")),
    StaffMember("agent3", "张伟", AGENT, ("gd-noc", "gd-billing")),
    StaffMember("agent4", "刘洋", AGENT, ("gz", "gz-tianhe", "gz-tianhe-store")),
    StaffMember("agent5", "陈静", AGENT, ("gz-haizhu", "gd-billing")),
    StaffMember("agent6", "杨磊", AGENT, ("sz", "sz-nanshan", "sz-futian", "sz-futian-store")),
]


def agents_of(department_code: str) -> list[str]:
    """Usernames of the agents who work in a department (supervisors are not dispatched to)."""
    return [m.username for m in STAFF if m.role == AGENT and department_code in m.departments]


# --- people ---------------------------------------------------------------------------------

# (surname, pinyin, weight): roughly Guangdong's frequencies, with a few compound surnames.
SURNAMES = [
    ("陈", "chen", 10), ("李", "li", 8), ("黄", "huang", 7), ("张", "zhang", 6), ("梁", "liang", 5),
    ("林", "lin", 5), ("刘", "liu", 5), ("王", "wang", 5), ("吴", "wu", 4), ("何", "he", 3),
    ("杨", "yang", 3), ("罗", "luo", 3), ("郑", "zheng", 3), ("周", "zhou", 2), ("谢", "xie", 2),
    ("钟", "zhong", 2), ("叶", "ye", 2), ("赵", "zhao", 2), ("邓", "deng", 2), ("冯", "feng", 2),
    ("曾", "zeng", 2), ("徐", "xu", 2), ("孙", "sun", 1), ("朱", "zhu", 1), ("胡", "hu", 1),
    ("郭", "guo", 1), ("蔡", "cai", 1), ("彭", "peng", 1), ("苏", "su", 1), ("卢", "lu", 1),
    ("潘", "pan", 1), ("许", "xu", 1), ("麦", "mai", 0.5), ("欧阳", "ouyang", 0.3),
    ("司徒", "situ", 0.3), ("上官", "shangguan", 0.1),
]
# Given-name characters more usual for men and for women; a name takes one or two of one set.
GIVEN_CHARS = ("伟强磊军勇杰涛斌超明刚辉鹏飞鑫波宇浩凯健俊帆旭宁龙阳建志国文嘉梓轩晨博荣",
               "芳娜敏静丽艳娟霞秀玲英慧美淑惠珠雅玉萍红月春兰凤洁梅琳云雪婷欣怡佳雨萱诗琪颖")
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.cn")

MOBILE_PREFIXES = ("130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
                   "150", "151", "152", "153", "155", "156", "157", "158", "159", "166",
                   "172", "173", "175", "176", "177", "178", "180", "181", "182", "183",
                   "184", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199")
# Multipliers coprime with the number space, so customer k → phone number is one-to-one and
# phone numbers never repeat within a seed without keeping a set of the ones handed out.
_MOBILE_SPACE, _MOBILE_MULT = 10**8, 73_939_133
_LANDLINE_SPACE, _LANDLINE_MULT = 7 * 10**7, 12_345_679
LANDLINE_AREAS = ("020", "0755")  # Guangzhou, Shenzhen
LANDLINE_EVERY = 10  # one customer in ten calls from a landline
VIP_SHARE = 0.05
EMAIL_SHARE = 0.3


@dataclass(frozen=True)
class CustomerData:
    name: str
    phone: str
    email: str
    service_number: str
    tier: str


_SURNAME_CUM = list(accumulate(w for *_, w in SURNAMES))


def person_name(rng: random.Random) -> tuple[str, str]:
    """A Chinese full name and the surname's pinyin."""
    surname, pinyin, _ = SURNAMES[bisect_right(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]
    chars = GIVEN_CHARS[rng.random() < 0.5]
    given = "".join(rng.choice(chars) for _ in range(1 if rng.random() < 0.3 else 2))
    return surname + given, pinyin


def mobile_number(seed: int, k: int, rng: random.Random) -> str:
    # The last eight digits alone are one-to-one in k, so any prefix keeps numbers unique.
    body = (k * _MOBILE_MULT + seed * 7919) % _MOBILE_SPACE
    return f"{rng.choice(MOBILE_PREFIXES)}{body:08d}"


def landline_number(seed: int, k: int) -> str:
    """Digits only, with area code, as personal_data.normalize_phone stores it; local 2…8xxxxxxx."""
    area = LANDLINE_AREAS[k // LANDLINE_EVERY % len(LANDLINE_AREAS)]
    local = 2 * 10**7 + (k * _LANDLINE_MULT + seed * 104_729) % _LANDLINE_SPACE
    return f"{area}{local}"


def customer_data(seed: int, k: int) -> CustomerData:
    """Customer number k of a seed; the same (seed, k) always gives the same person."""
    rng = random.Random(seed * 1_000_003 + k)
    name, pinyin = person_name(rng)
    landline = k % LANDLINE_EVERY == LANDLINE_EVERY - 1
    phone = landline_number(seed, k) if landline else mobile_number(seed, k, rng)
    email = ""
    if rng.random() < EMAIL_SHARE:
        email = f"{pinyin}{rng.randint(1960, 2008)}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"
    # Mobile customers are known by their number; landline customers by a broadband account.
    service_number = f"KD{phone}" if landline else phone
    tier = "vip" if rng.random() < VIP_SHARE else "ordinary"
    return CustomerData(name, phone, email, service_number, tier)


# --- places ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    city_code: str
    department_code: str  # the district branch, or the city branch for districts without one
    compound: str
    address: str


CITIES = {
    "gz": ("广州市", [("天河区", "gz-tianhe"), ("海珠区", "gz-haizhu"), ("越秀区", "gz"),
                     ("番禺区", "gz"), ("白云区", "gz")],
           ["天河路", "体育西路", "中山大道", "黄埔大道", "江南大道", "新港西路", "东风中路",
            "环市东路", "市桥大道", "广园中路"]),
    "sz": ("深圳市", [("南山区", "sz-nanshan"), ("福田区", "sz-futian"), ("宝安区", "sz"),
                     ("龙岗区", "sz"), ("罗湖区", "sz")],
           ["深南大道", "南海大道", "科苑路", "华强北路", "福华路", "宝安大道", "龙岗大道",
            "人民南路", "沙河西路", "北环大道"]),
}
COMPOUNDS = ("锦绣花园", "碧水苑", "阳光家园", "翠湖山庄", "南国名苑", "金沙小区", "丽景湾",
             "华景新城", "幸福里", "海滨花园", "聚福苑", "枫叶小区", "君悦华庭", "绿茵阁",
             "荔园新村", "星河湾畔", "怡康花园", "桃源居", "东方雅苑", "东湖公寓")
STORES = {"gz": ("gz-tianhe-store", "天河路营业厅"), "sz": ("sz-futian-store", "华强北营业厅")}


def place(rng: random.Random) -> Place:
    city_code = "gz" if rng.random() < 0.55 else "sz"
    city, districts, streets = CITIES[city_code]
    district, department_code = rng.choice(districts)
    compound = rng.choice(COMPOUNDS)
    address = (f"广东省{city}{district}{rng.choice(streets)}{rng.randint(1, 899)}号"
               f"{compound}{rng.randint(1, 30)}栋{rng.randint(1, 33)}{rng.randint(1, 8):02d}房")
    return Place(city_code, department_code, compound, address)
