"""The official arrangement of days off and make-up working days, from chinesecalendar.

Only loading code reads the package; deadline code reads the CalendarDay table.
"""

from datetime import date
from importlib.metadata import version

CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def package_source() -> str:
    return f"chinesecalendar {version('chinesecalendar')}"


def official_years() -> list[int]:
    """Years the installed chinesecalendar has official data for."""
    from chinese_calendar import constants

    return sorted({d.year for d in constants.holidays} | {d.year for d in constants.workdays})


def official_days(years: list[int]) -> list[tuple[date, bool, str]]:
    """(date, is_workday, Chinese name) for every day off and make-up day in `years`."""
    from chinese_calendar import constants

    wanted = set(years)
    days = [(d, False, CHINESE_NAMES.get(n, n)) for d, n in constants.holidays.items()
            if d.year in wanted]
    days += [(d, True, f"{CHINESE_NAMES.get(n, n)}调休上班") for d, n in constants.workdays.items()
             if d.year in wanted]
    return sorted(days)
