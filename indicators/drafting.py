"""Drafting a catalog from a plan's own text: every quantified target found, with its sentence."""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass, field, replace

from indicators.model import split_unit
from indicators.notation import MULTIPLIERS, normalise, parse
from indicators.sources import ELISION

# --- what the plan's words mean ---------------------------------------------------------------

UNITS = "|".join(
    "个百分点 平方公里 平方米 ㎡ 公顷 公里 千米 人次 万元 亿元 千元 张 个 家 所 处 名 人 岁 元 座 "
    "户 项 床 间 套 支 条 批 次 天 块 场 辆 台 份 册 亩 株 年".split()
)
# words before a quantity, and what the notation parser is to read for them ("" : the
# comparator comes from the words around it, e.g. 降至 → ≤)
BEFORE_WORDS = {
    "不低于": "不低于", "不少于": "不少于", "不小于": "不小于", "至少": "至少",
    "力争达到": "达到", "将达到": "达到", "要达到": "达到", "达到": "达到", "将达": "达到",
    "达": "达", "不高于": "不高于", "不超过": "不超过", "超过": "超过", "高于": "高于",
    "大于": "大于", "多于": "多于", "低于": "低于", "小于": "小于", "少于": "少于",
    "不足": "不足", "稳定在": "达到", "保持在": "达到", "约": "约",
    "≥": "≥", "≤": "≤", ">=": "≥", "<=": "≤", ">": ">", "<": "<",
    "降至": "", "降到": "", "下降到": "", "下降至": "", "降低到": "", "降低至": "",
    "提高到": "", "提高至": "", "提升到": "", "提升至": "", "增加到": "", "增长到": "",
    "增加至": "", "增长至": "", "实现为": "", "为": "",
}  # fmt: skip
_BEFORE = "|".join(sorted(map(re.escape, BEFORE_WORDS), key=len, reverse=True))
_NUMBER = r"\d+(?:\.\d+)?"
# a quantity as plans write it: a comparator word, a number or range, 万/亿, a unit, a qualifier
VALUE_RE = re.compile(
    rf"(?P<before>{_BEFORE})?\s*"
    rf"(?P<number>{_NUMBER}(?:\s*[千万亿])?(?:\s*[~～\-—至到]\s*{_NUMBER}(?:\s*[千万亿])?)?)\s*"
    r"(?P<multiplier>万亿|[千万亿])?\s*"
    # a unit; "12/10万" (per 100,000); or none after 万/亿 at a clause's end ("人数达7亿")
    rf"(?P<unit>%|‰|/\s*10\s*万|/\s*万|{UNITS}|(?<=[万亿])(?=\s*(?:[,，。;；、)）|]|$)))"
    r"(?P<after>及以上|以上|左右|以下|以内)?"
)
YEAR_RE = re.compile(
    r"(?P<until>到|至|截至|截止|截止到)?\s*(?P<year>20\d{2})\s*年(?:年(?=[底末]))?(?P<end>底|末)?"
    r"(?P<before>前)?"
)
# the latest a text names first
PERIOD_END = {"十五五": 2030, "十四五": 2025, "十三五": 2020, "十二五": 2015, "十一五": 2010}
PLAN_PERIOD_RE = re.compile(r"(20\d{2})\s*[-—–~至到]\s*(20\d{2})\s*年")
# a number that belongs to a name: "3岁以下婴幼儿", "0.5万-1.2万人口规模", "每百户", "每千名"
PART_OF_NAME = re.compile(
    r"^(?:口|人口|周岁|岁以下|岁以上|户以上|张以上床位|名以上|以下婴幼儿|以下的|月|小时)"
)
PAST_WORDS = ("已建成", "已达到", "已经", "现有", "目前", "截至", "截止", "累计已", "已有", "已")
RELATIVE_GOALS = re.compile(
    r"提高\s*\d+(?:\.\d+)?\s*个百分点|提升\s*\d+(?:\.\d+)?\s*个百分点|翻一番|翻番|"
    r"(?:增长|增加|提高|下降|降低)\s*\d+(?:\.\d+)?\s*%|全覆盖|普遍建立|基本建立|基本覆盖|"
    r"明显提升|显著提升|明显提高|显著提高|稳步提升|持续提升|逐步提高"
)
EACH_DISTRICT_RE = re.compile(
    r"(每个|各)(县区|县\(区\)|区县|县\(市、区\)|县市区|区市|区\(市\)|县|区(?!域)|市\(州\))"
)
FORECAST = re.compile(r"预计|预测|预期将")
EACH_SUB_UNIT_RE = re.compile(r"(每个|各|所有)(街道|乡镇|镇街|城市社区|农村社区|社区)")
TOTAL_RE = re.compile(r"共|合计|累计|总共")  # "各县区共建成…": their total
# lower is better: a figure written with no comparator is a ceiling ("婴儿死亡率5.0‰")
LOWER_IS_BETTER = re.compile(r"死亡率|发病率|患病率|损失|近视率|生长迟缓率|吸烟率|肥胖率|事故")
# "新增护理型床位1.2万张", "新建…50个", "改扩建敬老院12所": added over the period
ADDED_RE = re.compile(r"(?:新增|新建|改扩建|新改扩建|继续增加|增加)(?![到至])[^,，。；;、]{0,24}$")
# one unit written several ways: what the drafter writes, and what bench/drafting.py compares
SAME_UNITS = {"㎡": "平方米", "m2": "平方米", "m²": "平方米", "方米": "平方米"}
# words before a name that are not part of it
LEADING_WORDS = re.compile(
    r"^(?:[,，、;；:：\s]|其中|同时|并|和|及|以及|全市|全省|全区|全州|我市|我省|本市|"
    r"力争|争取|确保|实现|切实保障|切实|保障|逐步|基本|进一步|努力|推动|推进|加快|要|使|让|"
    r"在|对|将|按照|按|年度|总体|创建|建成|建设|培育|打造|开办|"
    r"(?:各|每个)(?:县区|县\(区\)|区县|县市区|区市|县)(?:共|合计|累计)|共|合计|"
    r"(?:到|至)?\s*20\d{2}\s*年(?:底|末)?(?:前)?|“?十[三四五]五”?(?:期间|末)?)+"
)
TRAILING_WORDS = re.compile(
    r"(?:总体|均|分别|累计|稳定在|保持在|控制在|力争|达到|达|为|要|将|将实现|实现|的比例为|"
    r"不低于|不少于|不高于|不超过|大于|小于|低于|高于|超过|多于|少于|不足|"
    r"(?:提高|提升|增加|增长|上升|降低|下降|减少)(?:到|至)|降至|降到)+$"
)
COUNT_VERBS = re.compile(
    r"(?:新建|建设|建成|创建|培育|打造|推进|开办|培养培训|培养|培训|配备|建有|设立|完成|"
    r"吸纳|新增|增加|引进|扶持|认定|评选|建立|发展|组建|举办|开展)$"
)
COUNT_UNITS = {"张", "个", "家", "所", "处", "名", "人", "人次", "座", "户", "项", "床", "间", "套",
               "支", "条", "批", "次"}  # fmt: skip
DOMAIN_WORDS = (("托育", "托育"), ("婴幼儿", "托育"), ("托位", "托育"), ("入托", "托育"),
                ("新生儿", "托育"), ("儿童", "托育"), ("老年", "养老"), ("养老", "养老"),
                ("特困", "养老"), ("护理", "养老"), ("失能", "养老"), ("敬老", "养老"))  # fmt: skip
SECTION_RE = re.compile(
    r"^[一二三四五六七八九十]+、|^\([一二三四五六七八九十]+\)|^（[一二三四五六七八九十]+）"
)


@dataclass(frozen=True)
class DraftTarget:
    name: str
    unit: str | None
    kind: str
    year: int
    comparator: str
    value: float
    high: float | None
    text: str  # the quantity as the plan writes it ("2.6万张", "55%以上")
    scope: str
    quote: str  # the sentence or table row, word for word
    start: int  # where the quantity is in the plan text (for the review page)
    end: int
    domain: str
    per: str | None = None
    baseline: tuple[int | None, float] | None = None  # year None: "由65%提高到75%"
    attribute: str | None = None  # from a table's 指标属性 column
    review: tuple[str, ...] = ()
    source: str = "text"  # "text" or "table"
    quote_start: int = 0
    quote_end: int = 0
    increment: bool = False  # "新增…1.2万张": what is added over the period, not a level
    dated: tuple[int, int] | None = None  # the paragraph's or heading's year it inherits


@dataclass(frozen=True)
class Goal:
    """A relative or unquantified goal: a person decides whether and how it becomes a target."""

    words: str
    quote: str
    start: int
    end: int


@dataclass
class Draft:
    text: str
    title: str
    jurisdiction: str | None
    first_year: int | None
    final_year: int
    targets: list[DraftTarget] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    unread: list[tuple[int, int]] = field(default_factory=list)  # sentences with a year and a
    # number that gave no target: where a person should read


# --- sentences --------------------------------------------------------------------------------


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: ends at 。；! ? or a line break."""
    spans = []
    start = 0
    for match in re.finditer(r"[。！!？?\n]", text):
        end = match.start()
        if text[start:end].strip():
            spans.append(_trimmed(text, start, end))
        start = match.end()
    if text[start:].strip():
        spans.append(_trimmed(text, start, len(text)))
    return spans


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Parts of a sentence between semicolons: what a target quotes."""
    spans, begin = [], start
    for match in re.finditer(r"[；;]", text[start:end]):
        spans.append(_trimmed(text, begin, start + match.start()))
        begin = start + match.end()
    spans.append(_trimmed(text, begin, end))
    return [(a, b) for a, b in spans if b > a]


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Parts of a sentence between commas (a comma inside a number is not a break)."""
    spans = []
    begin = start
    for match in re.finditer(r"[,，]", text[start:end]):
        at = start + match.start()
        if at > 0 and text[at - 1].isdigit() and at + 1 < end and text[at + 1].isdigit():
            continue
        spans.append((begin, at))
        begin = at + 1
    spans.append((begin, end))
    return [(a, b) for a, b in spans if text[a:b].strip()]


# --- the plan as a whole ----------------------------------------------------------------------


def plan_years(text: str, title: str) -> tuple[int | None, int]:
    """The plan period from its title ("2022-2025年", "十四五"), else the latest 到20XX年."""
    head = title
    period = PLAN_PERIOD_RE.search(head)
    if period:
        return int(period.group(1)), int(period.group(2))
    for words, year in PERIOD_END.items():
        if words in head:
            return year - 4, year
    for words, year in PERIOD_END.items():
        if words in text[:2000]:  # no title, but "“十四五”教育事业发展主要指标表" at the top
            return year - 4, year
    targets = [int(m.group("year")) for m in YEAR_RE.finditer(text) if _target_year(m, text)]
    return None, max(targets) if targets else 2030


TITLE_WORDS = re.compile(r"方案|规划|意见|措施|计划|办法|纲要")


def plan_title(text: str) -> str:
    """The plan's name: a "标题:" line, else the first short line naming a 方案/规划/意见…
    (inside 《》 when it is quoted there), else the first 《…方案》 at the top."""
    lines = [line.strip() for line in text.splitlines()[:40] if line.strip()]
    for line in lines:
        if line.startswith(("标题:", "标题：", "原标题:", "原标题：")):
            return _bare_title(line.split(":", 1)[-1].split("：", 1)[-1].strip())
    for index, line in enumerate(lines[:15]):
        metadata = re.match(r"^[\u4e00-\u9fff\s]{2,8}[:：]", line)
        if len(line) <= 80 and TITLE_WORDS.search(line) and not metadata:
            quoted = re.search(r"《([^》]+)》", line)
            if quoted and TITLE_WORDS.search(quoted.group(1)):
                return quoted.group(1)
            title = line.split(">")[-1].strip()
            previous = lines[index - 1] if index else ""
            if (
                len(title) < 12
                and previous
                and len(previous) <= 30
                and not re.search(r"[,，。:：;；]", previous)
            ):
                title = previous + title  # a title broken over two lines
            return _bare_title(title)
    quoted = re.search(r"《([^》]{4,60}(?:方案|规划|意见|措施|计划))》", text[:3000])
    return quoted.group(1) if quoted else ""


def _bare_title(title: str) -> str:
    """ "…办公室关于印发烟台市…方案(2022-2025年)的通知" → "烟台市…方案(2022-2025年)"."""
    if "印发" in title:
        title = title.split("印发")[-1]
    return re.sub(r"的通知$", "", title).strip("《》 ")


def plan_jurisdiction(title: str) -> str | None:
    found = re.search(r"([\u4e00-\u9fff]{2,8}?(?:自治区|省|市|自治州|州|县|区))", title)
    if not found:
        return None
    name = found.group(1)
    for prefix in ("关于印发", "关于", "印发"):
        if prefix in name:
            name = name.split(prefix)[-1]
    return name if len(name) >= 2 else None


def draft(text: str) -> Draft:
    """Every target the plan's text states, its relative goals, and the sentences to read."""
    shown = text.replace("\r\n", "\n").replace("\r", "\n")
    # same length as `shown`: positions and quotes carry over
    reading = _readable(simplified(shown))
    title = plan_title(reading)
    first_year, final_year = plan_years(reading, title)
    jurisdiction = plan_jurisdiction(title)
    result = Draft(shown, title, jurisdiction, first_year, final_year)
    table_spans = _tables(reading, result, final_year)
    aims = [
        int(m.group("year")) for m in YEAR_RE.finditer(reading) if m.group("until") in ("到", "至")
    ]
    published = _published(reading)
    # a bare year before this tells of the past: the plan's first year, or its earliest 到 year
    earliest = first_year if first_year else min([*aims, final_year])
    context = Context(final_year, earliest, this_year=int(published[:4]) if published else None)
    domain = None
    line_start = -2  # where the line of the previous sentence began
    for start, end in sentences(reading):
        if any(a <= start < b for a, b in table_spans):
            continue
        sentence = reading[start:end]
        opens_line = reading.rfind("\n", 0, start) != line_start
        if opens_line:
            line_start = reading.rfind("\n", 0, start)
            context.paragraph, context.paragraph_looks_back = None, False
        if SECTION_RE.match(sentence):
            domain = _domain(sentence) or domain
            context.heading = None
            heading = SECTION_RE.sub("", sentence).strip(' “”"')
            context.past = bool(LOOKING_BACK.search(heading))
        found = _sentence_targets(reading, start, end, context, domain, opens_line)
        result.targets.extend(found)
        goals = list(RELATIVE_GOALS.finditer(sentence))
        for goal in goals:
            result.goals.append(
                Goal(goal.group(), shown[start:end], start + goal.start(), start + goal.end())
            )
        # every other sentence with a year or a number is listed for a person to read; the
        # plan's own title (its period) is not a sentence of the plan
        own_title = bool(title) and title in sentence
        if not found and not goals and not own_title and NUMBER_RE.search(sentence):
            result.unread.append((start, end))
    targets = [
        replace(t, quote=_quote(shown, t)) if t.source == "text" else t for t in result.targets
    ]
    targets = [_without_place(t, jurisdiction) for t in targets]
    result.targets = _distinct(_with_baselines(targets, reading))
    return result


# One OpenCC converter for the process, made on first use. Locked: the service may draft in
# several threads, and the binding does not say its converter may be shared between them.
_CONVERTER: list = []
_CONVERTER_LOCK = threading.Lock()


def simplified(text: str) -> str:
    """Traditional characters read as simplified ("養老機構床位" → "养老机构床位") by OpenCC, one
    for one: where a phrase would change the length, each character alone, so that positions
    (and quotes, which are taken from the text as written) stay those of the plan."""
    if not text or text.isascii():
        return text
    with _CONVERTER_LOCK:
        if not _CONVERTER:
            import opencc

            _CONVERTER.append(opencc.OpenCC("t2s"))
        converter = _CONVERTER[0]
        try:
            converted = converter.convert(text)
        except UnicodeEncodeError:  # a lone surrogate (a broken page): converted one by one
            converted = ""
        if len(converted) == len(text):
            return converted
        return "".join(_one_simplified(converter, char) for char in text)


def _one_simplified(converter, char: str) -> str:
    try:
        single = converter.convert(char)
    except UnicodeEncodeError:
        return char
    return single if len(single) == 1 else char


CHINESE_DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6",
                  "七": "7", "八": "8", "九": "9"}  # fmt: skip
# "至少一所", "建成一个", "五个以上": a one-character numeral that is a quantity, not a word
# ("一批", "进一步", "九年义务教育" stay as they are)
QUANTITY_BEFORE = re.compile(
    r"(?:至少有?|不少于|不低于|达到|建成|建设|新建|打造|创建|培育|设立|建有|配备|配齐|有)$"
)
NUMERAL_RE = re.compile(r"[一二两三四五六七八九](?=[个家所名处张座项])")
UNIT_RANGE_RE = re.compile(
    r"(\d(?:\.\d+)?)(张|个|所|家|名|人|平方米|岁|万张|万个|万人)(?=\s*[~～\-—至到]\s*\d(?!\d{3}\s*年))"
)
PER_100K_RE = re.compile(r"(\d+)\s*万分之\s*(\d+(?:\.\d+)?)")


def _quote(shown: str, target: DraftTarget) -> str:
    """The words a target came from, as the plan writes them, led by the year it inherits."""
    quote = shown[target.quote_start : target.quote_end]
    if target.dated is None:
        return quote
    year = shown[target.dated[0] : target.dated[1]].strip(" ，,：:")
    return f"{year}{ELISION}{quote}"


def _readable(text: str) -> str:
    """What the parser reads: "l个" typed for "1个" (a letter for a digit, as in 柳州's plan)
    read as 1, "至少一所" as 至少1所, "10万分之58" as 58/10万; every replacement keeps the
    length, so positions stay those of the plan."""
    text = re.sub(r"(?<=[\u4e00-\u9fff])[lI](?=[个家所名处张])", "1", text)

    def numeral(match: re.Match) -> str:
        before = text[max(0, match.start() - 4) : match.start()]
        after = text[match.end() + 1 : match.end() + 4]
        if QUANTITY_BEFORE.search(before) or after.startswith(("以上", "及以上")):
            return CHINESE_DIGITS[match.group(0)]
        return match.group(0)

    text = NUMERAL_RE.sub(numeral, text)

    def per_100k(match: re.Match) -> str:
        written = f"{match.group(2)}/{match.group(1)}万"
        fits = len(written) <= len(match.group(0))
        return written.ljust(len(match.group(0))) if fits else match.group(0)

    text = PER_100K_RE.sub(per_100k, text)
    # "30张~35张": the first unit blanked, so the range reads as "30 ~35张"
    return UNIT_RANGE_RE.sub(lambda m: m.group(1) + " " * len(m.group(2)), text)


def _without_place(target: DraftTarget, jurisdiction: str | None) -> DraftTarget:
    name = target.name
    for place in filter(None, (jurisdiction, "全市", "全省", "全区", "全州")):
        if name.startswith(place) and len(name) > len(place) + 1:
            name = name[len(place) :]
    return replace(target, name=name) if name != target.name else target


def _distinct(targets: list[DraftTarget]) -> list[DraftTarget]:
    """One entry per target: a plan printed twice on its page, or a table target the text
    repeats ("到2025年,分批次创建50处市级示范性综合托育机构" beside the table's 50)."""
    kept: list[DraftTarget] = []
    for target in sorted(targets, key=lambda t: t.source != "table"):
        duplicate = False
        for other in kept:
            if (other.year, other.comparator, other.value, other.high) != (
                target.year, target.comparator, target.value, target.high
            ):  # fmt: skip
                continue
            similar = difflib.SequenceMatcher(None, other.name, target.name).ratio()
            repeats_table = other.source == "table" and target.source == "text"
            # a headline or summary repeating a sentence ("武汉人均期望寿命将达83.5岁")
            contained = other.name in target.name or target.name in other.name
            if (
                other.name == target.name
                or (repeats_table and similar >= 0.5)
                or (other.unit == target.unit and (contained or similar >= 0.75))
            ):
                duplicate = True
                break
        if not duplicate:
            kept.append(target)
    kept.sort(key=lambda t: t.start)
    return kept


def _domain(text: str) -> str | None:
    for word, domain in DOMAIN_WORDS:
        if word in text:
            return domain
    return None


# --- running text -----------------------------------------------------------------------------

# the sentence tells of the past: its figures are baselines, not targets
PAST_SENTENCE = re.compile(r"据统计|以来|统计显示|截至|截止|同比|比上年|较上年")
# a number a person should see if no target came of it (not a bare list number "1.")
NUMBER_RE = re.compile(r"\d+(?:\.\d+)?\s*(?:%|‰|[千万亿]|[\u4e00-\u9fff])|20\d{2}\s*年")
# "到2022年和2030年，…分别不低于22%和30%": one value for each year, in order
PAIRED_YEARS_RE = re.compile(
    r"(?:到|至)\s*(20\d{2})\s*年(?:底|末)?\s*(?:和|、|及|与)\s*(?:到\s*)?(20\d{2})\s*年"
)
# "较2015年下降30%", "比2020年", "2015年的": a year things are compared with
COMPARED_YEAR = re.compile(r"(?:较|比|与|同|从|由|相比)\s*$")


@dataclass
class Context:
    """The years a sentence without its own takes its target year from: the year opening its
    paragraph ("到2023年，…。…。"), else a heading's ("到2020年底前要实现的数字型目标"),
    else the plan's final year. `earliest_aim`: a bare year before it tells of the past."""

    final_year: int
    earliest_aim: int
    paragraph: int | None = None
    heading: int | None = None
    this_year: int | None = None  # the year the plan was issued: what "今年" means
    paragraph_at: tuple[int, int] | None = None  # where the paragraph's year is written
    heading_at: tuple[int, int] | None = None
    past: bool = False  # in a section that looks back ("一、编制背景")
    paragraph_looks_back: bool = False  # "“十三五”期间，……。……。"

    @property
    def inherited(self) -> int | None:
        return self.paragraph or self.heading


# a section or paragraph that reports what was done, not what is to be done
# a section that reports what was done, not what is to be done: its heading (after the
# numbering) is "发展环境", "主要背景", "规划背景", "“十三五”取得的主要成绩" — not "优化发展环境"
LOOKING_BACK = re.compile(
    r"^(?:主要|规划|编制|发展|工作)?(?:背景|现状|回顾|成效|成就|基础|环境|形势|进展情况|执行情况)"
    r"|取得的(?:主要)?(?:成绩|成就|成效)|面临的形势"
)
LOOKING_BACK_SENTENCE = re.compile(r"过去五年|五年来|以来,|以来，")
PERIOD_SPAN = re.compile(r"(十[二三四五]五)[”\"]?(?:期间|时期)")


# "2016年至2020年" is a span of past years, not "到2020年"
SPAN_RE = re.compile(r"20\d{2}\s*年\s*(?:至|到|-|—)\s*20\d{2}\s*年")
BEYOND_PLAN = re.compile(r"中长期|远期|远景")


def _target_year(mention: re.Match, clause: str) -> bool:
    if SPAN_RE.search(clause[max(0, mention.start() - 8) : mention.end()]):
        return False
    if mention.group("until") in ("截至", "截止", "截止到"):
        return False  # "截至2025年底": a figure of the past
    if re.search(r"(?:从|由)\s*$", clause[: mention.start()]):
        return False  # "由2025年的65%提高到75%": where it starts
    return bool(mention.group("until") in ("到", "至") or mention.group("before")
                or mention.group("end"))  # fmt: skip


def _sets_year(mention: re.Match, clause: str, context: Context) -> bool:
    """A year mention that dates what follows it: "到2025年", "2025年底前", or a bare "2025年"
    that is not a year compared with ("较2015年", "2015年的") nor one of the past."""
    if _target_year(mention, clause):
        return True
    if mention.group("until") is not None or SPAN_RE.search(clause):
        return False
    year = int(mention.group("year"))
    before = clause[: mention.start()]
    after = clause[mention.end() : mention.end() + 1]
    return not COMPARED_YEAR.search(before) and after != "的" and year >= context.earliest_aim


def _sentence_targets(
    text: str, start: int, end: int, context: Context, domain, opens_line: bool = False
) -> list:
    # what brackets say ("(目前29.3%)", "(2020年…达到77.3岁)") does not date the sentence
    sentence = BRACKETS_RE.sub(lambda m: " " * len(m.group(0)), text[start:end])
    years = [int(m.group("year")) for m in YEAR_RE.finditer(sentence) if _target_year(m, sentence)]
    period = next((y for w, y in PERIOD_END.items() if w in sentence), None)
    bare = [m for m in YEAR_RE.finditer(sentence) if m.group("until") is None]
    if opens_line and not _values(sentence):
        # a heading ("到2020年底前要实现的数字型目标", "2030年的主要健康指标：") dates the lines
        # under it until the next heading or section
        dated = [int(m.group("year")) for m in YEAR_RE.finditer(sentence)
                 if not COMPARED_YEAR.search(sentence[: m.start()])]  # fmt: skip
        if dated:
            context.heading = dated[-1]
            context.heading_at = (start, end)
    if opens_line and years and (opening := YEAR_RE.search(sentence[:12])):
        context.paragraph = years[0]  # "到2023年，……。……。": the paragraph's year
        context.paragraph_at = (start + opening.start(), start + opening.end())
    span = PERIOD_SPAN.search(sentence)  # "“十三五”期间" in a plan for later years
    earlier = span is not None and PERIOD_END.get(span.group(1), 0) < context.final_year
    if opens_line and (LOOKING_BACK_SENTENCE.search(sentence) or earlier) and not years:
        context.paragraph_looks_back = True
    if context.past or (context.paragraph_looks_back and not years):
        return []  # a section that looks back: its "提高到2017年" is history, not a target
    if FORECAST.search(sentence):
        return []  # "预计到2020年…将达到539万人": a forecast, not what the plan sets
    this_year = context.this_year if "今年" in sentence else None
    past = bare and all(
        int(m.group("year")) < context.earliest_aim
        and not COMPARED_YEAR.search(sentence[: m.start()])  # "较2015年下降30%"
        for m in bare
    )
    if not years and (PAST_SENTENCE.search(sentence) or past):
        return []
    inherited = context.inherited
    if (
        not years
        and not this_year
        and period is None
        and inherited is None
        and (not _has_comparator(sentence))
    ):
        return []
    found: list[DraftTarget] = []
    current = years[0] if years else (this_year or inherited or period or context.final_year)
    paired = PAIRED_YEARS_RE.search(sentence)
    for seg_start, seg_end in segments(text, start, end):
        for a, b in clauses(text, seg_start, seg_end):
            clause = text[a:b]
            outside = BRACKETS_RE.sub(lambda m: " " * len(m.group(0)), clause)
            beyond = False
            for mention in YEAR_RE.finditer(outside):
                if _sets_year(mention, outside, context):
                    current = int(mention.group("year"))
                    beyond = beyond or current > context.final_year
            if beyond or BEYOND_PLAN.search(clause):
                continue  # a long-term aim beyond this plan
            previous = found[-1].name if found else None
            here = _clause_targets(text, a, b, (seg_start, seg_end), current, domain, previous)
            here = [_dated_in_brackets(t, text, a, clause) for t in here]
            if paired and len(here) == 2:
                # "分别不低于22%和30%": the first for the first year, the second for the second
                first, second = int(paired.group(1)), int(paired.group(2))
                comparator = here[0].comparator  # "不低于22%和30%": both not below
                here = [replace(here[0], year=first),
                        replace(here[1], year=second, name=here[0].name,
                                comparator=comparator)]  # fmt: skip
                current = second
            found.extend(here)
    if not years and not this_year and inherited is not None:
        # the quote says where the year came from: "到2023年……每千人口拥有托位数4.1个"
        at = context.paragraph_at if context.paragraph == inherited else context.heading_at
        found = [replace(t, dated=at) for t in found if t.year == inherited] + [
            t for t in found if t.year != inherited
        ]
    if "今年" in sentence and not context.this_year:
        note = "原文写“今年”，找不到发布日期：年份待确认"
        found = [replace(t, review=(*t.review, note)) for t in found]
    return found


BRACKETS_RE = re.compile(r"[(（][^()（）]*[)）]")


def _dated_in_brackets(target: DraftTarget, text: str, a: int, clause: str) -> DraftTarget:
    """A target inside brackets that name their own year ("(2020年…达到77.3岁)") is for it."""
    for bracket in BRACKETS_RE.finditer(clause):
        if a + bracket.start() <= target.start < a + bracket.end():
            year = YEAR_RE.search(bracket.group(0))
            if year:
                return replace(target, year=int(year.group("year")))
    return target


def _has_comparator(sentence: str) -> bool:
    for match in VALUE_RE.finditer(sentence):
        if match.group("before") or match.group("after") or match.group("unit") in ("%", "‰"):
            return True
        if COUNT_VERBS.search(sentence[: match.start()].rstrip()):
            return True  # "推进10个…重大项目", "建设5个…"
        if re.search(r"[~～\-—至到]", match.group("number")):
            return True
    return False


def _is_past(before: str) -> bool:
    """ "已建成…2万张", "现有…": a figure of the past (a baseline), not a target."""
    past = re.search(r"(?:已经|已)(?:建成|达到|达|有|完成|实现|建有|累计)([^,，]{0,10})$", before)
    if past and not re.search(r"按照|按|标准|要求", past.group(1)):
        return True
    # "我国现有近3000万名…", "全国共有托育机构约7.5万家": how things stand now
    return bool(re.search(r"截至|截止|现有|目前|当前|共有", before))


def _in_remark(clause: str, at: int) -> bool:
    """Inside brackets that tell where things stand now ("(目前29.3%)", "(2014年为3.6亿人)")."""
    opening = max(clause.rfind("(", 0, at), clause.rfind("（", 0, at))
    if opening < 0 or max(clause.rfind(")", 0, at), clause.rfind("）", 0, at)) > opening:
        return False
    closing = min((i for i in (clause.find(")", at), clause.find("）", at)) if i >= 0),
                  default=len(clause))  # fmt: skip
    return bool(re.search(r"目前|现为|现状|年为|年底为|基期", clause[opening:closing]))


def _values(clause: str) -> list[re.Match]:
    values = []
    for match in VALUE_RE.finditer(clause):
        rest = clause[match.end() :]
        unit = match.group("unit")
        if unit == "年" and re.match(r"(?:19|20)\d{2}(?!\d)", match.group("number")):
            continue  # "2030年", "(2016—2020年)": a year, not a number of years
        if re.match(r"[个家]?(?:部门|单位|方面|领域|县区|区(?![级域(（])|县(?![级域(（]))", rest):
            continue  # "21个部门印发", "8个方面", "14个区分别…": who and how, not a target
        following = list(VALUE_RE.finditer(clause, match.end()))
        if (
            following
            and re.match(r"[\u4e00-\u9fff]", rest)
            and not rest.startswith("的")
            and "的" in clause[match.end() : following[0].start()]
        ):
            continue  # "每周参加1次及以上体育锻炼的人数达7亿": the 1次 is part of the name
        if _in_remark(clause, match.start()):
            continue  # "(目前29.3%)", "(2014年为3.6亿人)": where things stand, not a target
        if match.group("unit") == "岁" and not match.group("before"):
            if rest[:1] and rest[:1] not in ",，。；;":
                continue  # "3岁以下婴幼儿", "60岁以上老年人": part of the name
        if PART_OF_NAME.match(rest):
            continue
        if match.group("unit") == "项" and re.match(
            r"[\u4e00-\u9fff]{0,10}(指标|任务|措施|行动|工程|原则)", rest
        ):
            continue  # "提出以下25项具体发展指标": how the plan is organised
        before = clause[: match.start()]
        if re.search(r"[-—~至]\s*$", before) and re.search(r"\d\s*[万千]?\s*[-—~至]\s*$", before):
            continue  # the second half of "0.5万-1.2万"
        if re.search(r"(?:从|由)\s*(?:20\d{2}\s*年(?:底|末)?的?)?\s*$", before):
            continue  # "由X提高到Y": X is where it starts
        relative = re.search(r"(?:增长|增加|提高|提升|下降|降低|减少)\s*$", before)
        if relative and relative.group(0).strip() == "增加" and unit not in ("%", "‰"):
            relative = None  # "继续增加10万个普惠托位": what is added, not a relative goal
        if relative or match.group("unit") == "个百分点":
            continue  # "增长10%", "提高5个百分点": relative, listed as a goal for a person
        values.append(match)
    return values


def _clause_targets(text, a, b, quoted, year, domain, previous=None) -> list[DraftTarget]:
    clause = text[a:b]
    values = [v for v in _values(clause) if not _is_past(clause[: v.start()])]
    if not values:
        return []
    start_value = _starting_value(clause)

    def made(match, name):
        target = _target(text, a, match, name, quoted, year, domain)
        if target is not None and start_value is not None and start_value[1] is not None:
            target = replace(target, baseline=start_value)
        return target

    # "A、B均达到100%", "A、B分别达到X、Y": one target per name
    lead = clause[: values[0].start()]
    if re.search(r"均|分别", lead):
        names_part = re.split(r"均|分别", lead)[0]
        names = [n for n in (_clean_name(n) for n in re.split(r"[、]", names_part)) if n]
        if len(names) == len(values) - 1 and re.search(r"[和及与]", names[-1]):
            # "新生儿死亡率、婴儿死亡率和5岁以下儿童死亡率分别控制在3.1‰、5.2‰和6.6‰以下"
            *head, last = names
            names = [*head, *(n for n in map(_clean_name, re.split(r"[和及与]", last)) if n)]
        elif len(names) == 1 and len(values) == 2 and re.search(r"[和及与]", names[0]):
            names = [n for n in map(_clean_name, re.split(r"[和及与]", names[0], maxsplit=1)) if n]
        if len(names) > 1:
            shared = _shared_tail(names)
            chosen = values if len(values) == len(names) else [values[0]] * len(names)
            targets = [made(match, name + shared if name != names[-1] else name)
                       for name, match in zip(names, chosen, strict=True)]  # fmt: skip
            return [t for t in targets if t is not None]
    shares = [v for v in values if v.group("unit") == "%" and clause[v.end() :].startswith("的")]
    if shares and shares[0] is values[0]:
        # "90%以上的社区建有多功能日间照料机构": the share of those that do; "80%以上的乡镇和
        # 50%以上的村建有…": each share of its own subject, the verb said once at the end
        parts = []
        for index, share in enumerate(shares):
            upto = shares[index + 1].start() if index + 1 < len(shares) else len(clause)
            parts.append(clause[share.end() + 1 : upto].rstrip("、和及与 "))
        shared_verb = SHARE_VERB.search(parts[-1])
        targets = []
        for share, part in zip(shares, parts, strict=True):
            if not SHARE_VERB.search(part) and shared_verb:
                part = part + parts[-1][shared_verb.start() :]
            name = _share_name(part, clause[: shares[0].start()])
            target = made(share, name) if name else None
            if target is not None:
                targets.append(target)
        return targets
    # "培养培训60名养老院院长、600名养老护理员": a list after one verb
    targets = []
    for index, match in enumerate(values):
        before = clause[values[index - 1].end() : match.start()] if index else lead
        upto = values[index + 1].start() if index + 1 < len(values) else len(clause)
        after = clause[match.end() : upto]
        if index and (not before.strip(" 、和及") or COUNT_VERBS.search(lead.rstrip())):
            before = lead  # "培养培训60名院长、600名护理员": the list's one verb
        name = _name_for(before, after, match)
        opening = re.search(r"(?:从|由)\s*(?:20\d{2}|\d)", lead)
        if start_value is not None and opening:
            name = _clean_name(lead[: opening.start()]) or name  # "健康管理率由65%提高到75%"
        if (
            name is None
            and previous
            and not _clean_name(before.replace("年", "")).strip("0123456789到至")
        ):
            name = previous  # "到2022年达到50%，到2025年达到80%": the same indicator's milestones
        if name and len(name) <= 40 and name.count("《") == name.count("》"):
            target = made(match, name)
            if target is not None:
                targets.append(target)
    return targets


def _starting_value(clause: str) -> tuple[int | None, float] | None:
    """ "由2025年的65%提高到75%": where the indicator starts, with its year if written."""
    start = re.search(
        r"(?:从|由)\s*(?:(20\d{2})\s*年(?:底|末)?的?)?\s*(\d+(?:\.\d+)?\s*[千万亿]?\s*(?:%|‰)?)",
        clause,
    )
    if not start or not re.search(r"(?:提高|提升|增加|增长|上升|下降|降低|减少)(?:到|至)", clause):
        return None
    reading = parse(start.group(2).replace(" ", ""))
    if reading.value is None:
        return None
    year = int(start.group(1)) if start.group(1) else None
    return (year, reading.value)


def _shared_tail(names: list[str]) -> str:
    """ "养老、托育服务设施配建率": the first names share the last one's tail."""
    first, last = names[0], names[-1]
    if len(first) <= 3 and len(last) > len(first) + 1:
        return last[len(first) :]
    return ""


SHARE_VERB = re.compile(
    r"建有|完成|达到|用于|实现|开展|设置|设立|具备|配备|拥有|参与|纳入|开设|建成|接受|享有|"
    r"享受|参加|使用|达"
)


def _share_name(rest: str, lead: str) -> str | None:
    rest = re.split(r"[,，。；;]", rest)[0]
    verb = SHARE_VERB.search(rest)
    if not verb or verb.start() == 0:
        # "覆盖95%以上的地区": the verb came before the share
        owner = _clean_name(lead)
        return f"{owner}的{rest}占比" if owner and rest and len(rest) <= 10 else None
    subject, predicate = rest[: verb.start()], rest[verb.start() :]
    predicate = VALUE_RE.sub("", predicate)  # "建有1所…" → "建有…"
    owner = _clean_name(lead)
    owner = re.sub(r"(?:中|里)$", "", owner)
    if subject in ("资金", "经费") and owner:
        return f"{owner}{predicate}的比例"
    return _clean_name(f"{predicate}的{subject}占比")


def _name_for(before: str, after: str, match: re.Match) -> str | None:
    unit = match.group("unit")
    # `after` ends where the next quantity of a list begins ("60名院长、600名护理员")
    tail_text = re.split(r"[,，。；;]", after.strip())[0].rstrip("、和及与 ")
    cleaned = _clean_name(before)
    # "每千名老年人配备1名社会工作者": a rate per thousand elderly
    if (
        re.search(r"每[百千万]?[名张户个]?[\u4e00-\u9fff]{1,8}(?:配备|拥有)$", cleaned)
        and tail_text
    ):
        obj = _clean_name(tail_text)
        return f"{cleaned}{obj}数" if obj else None
    # "建设5个以上县级区域性养老中心": the count of what comes after the verb;
    # "每个城市社区至少有1名…人才": the count of those
    verb = COUNT_VERBS.search(before.rstrip()) or re.search(r"(?:至少)?有$", cleaned)
    if (verb or not cleaned) and unit in COUNT_UNITS and tail_text:
        obj = _clean_name(tail_text)
        obj = re.split(r"(?:的目标|目标|任务|工作)$", obj)[0]
        if obj and len(obj) >= 2:
            return obj if obj.endswith(("数", "量")) else f"{obj}数"
    if not cleaned:
        return None
    name = cleaned
    name = re.sub(r"(?:不低于|不少于|不高于|不超过|控制在|按照|按|达到|达)$", "", name)
    name = re.sub(r"(?:建成|建有|新建|建设|创建|培育|打造|完成)$", "", name)
    if unit == "%":
        name = _relative_name(name)
    if unit == "平方米" and not name.endswith("面积"):
        name = f"{name}面积"
    elif unit in COUNT_UNITS and not name.endswith(("数", "量", "规模", "人次")):
        name = f"{name}数"
    return name if len(name) >= 2 else None


def _relative_name(name: str) -> str:
    """ "普惠托育服务价格不高于当地同类服务市场价格" → "…价格占当地同类服务市场价格的比例"."""
    parts = re.split(r"不高于|不超过|不低于|不少于|低于|高于", name, maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return f"{parts[0]}占{parts[1].removesuffix('的')}的比例"
    return name


def _clean_name(text: str) -> str:
    text = text.strip()
    # "武汉推进健康城市建设 2035年人均期望寿命": what follows a year names the indicator
    dated = re.search(r"20\d{2}\s*年(?:底|末)?(?:前)?", text)
    if dated and text[dated.end() :].strip():
        text = text[dated.end() :]
    previous = None
    while previous != text:
        previous = text
        text = LEADING_WORDS.sub("", text).strip()
        text = TRAILING_WORDS.sub("", text).strip()
        text = re.sub(r"^[“”\"'‘’《》]+|[“”\"'‘’《]+$", "", text)
    return re.sub(r"\s+", "", text)


def _target(text, offset, match, name, quoted, year, domain) -> DraftTarget | None:
    written = match.group(0).strip()
    reading = parse(_notation(match))
    if reading.value is None or not name:
        return None
    unit = re.sub(r"\s+", "", match.group("unit"))
    unit = SAME_UNITS.get(unit, unit)
    value, high = reading.value, reading.high
    review = []
    if unit == "":
        unit = "人" if re.search(r"人数|人口|人次", name) else ""
        if not unit:
            review.append("单位待确认")
    quote_start, quote_end = quoted
    context = text[quote_start:quote_end]
    before = text[quote_start : offset + match.start()]
    scope = "city"
    own_unit = unit in COUNT_UNITS
    if own_unit and _each(EACH_SUB_UNIT_RE, before):
        scope = "each_sub_unit"
    elif own_unit and _each(EACH_DISTRICT_RE, before):
        scope = "each_district"  # but "各县区共建成…不少于6个" is a total of them all
    kind, per = _kind(unit, name)
    comparator = reading.comparator or "≥"
    if unit == "个百分点":
        review.append("相对目标：提高若干个百分点，需换算为目标值")
    lowered = (
        r"(?:不高于|不超过|控制在|(?<!不)低于|(?:降低|下降|减少)(?:到|至)|降至|降到)[^,，、]{0,16}$"
    )
    lowering = (match.group("before") or "").startswith(("降", "下降"))
    if reading.comparator is None and (
        lowering or re.search(lowered, before) or LOWER_IS_BETTER.search(name)
    ):
        comparator = "≤"  # "婴儿死亡率5.0‰", "降至12/10万": a ceiling
    added = bool(own_unit or unit.endswith("元")) and bool(ADDED_RE.search(before))
    return DraftTarget(
        name=_tidy_name(name, scope),
        unit="%" if unit in ("%", "个百分点") else (unit or None),
        kind=kind,
        year=year,
        comparator=comparator,
        value=value,
        high=high,
        text=written,
        scope=scope,
        quote=context,
        start=offset + match.start(),
        end=offset + match.end(),
        domain=_domain(name) or _domain(context) or domain or "综合",
        per=per,
        review=tuple(review),
        quote_start=quote_start,
        quote_end=quote_end,
        increment=added,
    )


def _each(words: re.Pattern, before: str) -> bool:
    """The nearest "每个/各 …" before a value asks it of each unit, unless it says 共/合计."""
    found = list(words.finditer(before))
    if not found:
        return False
    last = found[-1]
    return not TOTAL_RE.match(before[last.end() : last.end() + 3])


def _tidy_name(name: str, scope: str) -> str:
    if scope == "each_district":
        name = re.sub(r"^(每个|各)(县区|县\(区\)|区县|区市|县)", "", name) or name
    return name.strip("的")


def _notation(match: re.Match) -> str:
    number = match.group("number").replace(" ", "")
    multiplier = match.group("multiplier") or ""
    unit = match.group("unit")
    unit_text = "%" if unit == "%" else ("‰" if unit == "‰" else "")
    body = f"{number}{multiplier}{unit_text}"
    before, after = match.group("before") or "", match.group("after") or ""
    before = BEFORE_WORDS.get(before, before)
    if re.search(r"\d\s*[千万亿]?\s*[~～\-—至到]\s*\d", number) and before in ("达到", "达"):
        before = ""  # "达到35-40张": a range reached, not "at least 35"
    return f"{before}{body}{after}"


def _kind(unit: str, name: str) -> tuple[str, str | None]:
    per = re.match(
        r"^(每[百千万]?[名户张个人口]*[\u4e00-\u9fff]{0,5}?(?:老年人|老人|人口|户|床位|婴幼儿))",
        name,
    )
    if unit in ("%", "个百分点"):
        return "percent", None
    if unit == "‰":
        return "rate", "每千"
    if per:
        return "rate", per.group(1)
    if unit in ("元", "万元", "亿元", "千元"):
        return "amount", None
    if unit == "平方米":
        return "area", None
    if unit == "岁":
        return "years", None
    return "count", None


# --- indicator tables -------------------------------------------------------------------------

HEADER_NAME = re.compile(r"^指\s*标(名称)?(\(单位\)|（单位）)?$|^指标名称|^名\s*称$")
HEADER_YEAR = re.compile(r"^(20\d{2})\s*年")


def _tables(text: str, result: Draft, final_year: int) -> list[tuple[int, int]]:
    """Indicator tables as they come out of a web page or Word file: one cell per line
    (序号 | 指标（单位） | 2021年 | 2025年 | 指标属性), or one row per line with tabs."""
    lines = []
    position = 0
    for line in text.split("\n"):
        lines.append((position, line))
        position += len(line) + 1
    spans = []
    i = 0
    while i < len(lines):
        cell = lines[i][1].strip()
        if "\t" in lines[i][1] and "序号" in lines[i][1]:
            consumed = _tab_table(lines, i, result, final_year)
        elif cell == "序号":
            consumed = _cell_table(lines, i, result, final_year)
        elif HEADER_NAME.match(normalise(cell).replace(" ", "")):
            consumed = _numbered_table(lines, i, result, final_year)
        elif len(spaced := SPACED_CELLS.split(cell)) >= 3 and _columns(spaced):
            consumed = _spaced_table(lines, i, result, final_year)
        else:
            consumed = 0
        if consumed:
            spans.append((lines[i][0], lines[min(i + consumed, len(lines)) - 1][0] + 1))
            i += consumed
        else:
            i += 1
    return spans


SPACED_CELLS = re.compile(r"\s{2,}|\t")


def _spaced_table(lines, i, result, final_year) -> int:
    """A table printed from a PDF: one row per line, its cells apart by runs of spaces
    ("1.残疾人家庭人均收入年均增长(%)        >7.5        预期性")."""
    header = SPACED_CELLS.split(lines[i][1].strip())
    columns = _columns(header)
    if columns is None:
        return 0
    title = _table_title(lines, i)
    j, rows = i + 1, 0
    while j < len(lines):
        line = lines[j][1].strip()
        if not line:
            j += 1
            continue
        cells = SPACED_CELLS.split(line)
        numbered = ROW_START.match(cells[0])
        if len(cells) != len(header) or not numbered:
            break
        cells[0] = numbered.group(2)
        start = lines[j][0] + lines[j][1].find(cells[0])
        _table_row(result, columns, cells, start, title, final_year,
                   quote="……".join([title, line]) if title else line)  # fmt: skip
        rows += 1
        j += 1
    return (j - i) if rows else 0


ROW_START = re.compile(r"^(\d{1,2})\s*[.．、]\s*([^\d\s%].*)$")
ATTRIBUTE_CELL = re.compile(r"^(约束性|预期性)$")


def _numbered_table(lines, i, result, final_year) -> int:
    """A table without a 序号 column, one cell per line, its rows numbered in the name cell
    ("1.学前教育毛入园率(%)"), under section rows ("一、发展水平"); a row may hold several
    indicators ("其中:小学 / 初中"), their values column by column (2020 for each, then 2025)."""
    header: list[str] = []
    j = i
    while j < len(lines) and len(header) < 8:
        cell = lines[j][1].strip()
        if cell and (ROW_START.match(cell) or SECTION_RE.match(cell)):
            break
        if cell:
            header.append(cell)
        j += 1
    columns = _columns(header)
    if columns is None or len(columns["years"]) < 2:
        return 0
    title = _table_title(lines, i)
    years = sorted(columns["years"])
    rows = 0
    while j < len(lines):
        cell = lines[j][1].strip()
        if not cell or SECTION_RE.match(cell):
            j += 1
            continue
        start = ROW_START.match(cell)
        if not start:
            break
        block = [(lines[j][0], start.group(2))]
        k = j + 1
        while k < len(lines):
            line = lines[k][1].strip()
            if not line:
                k += 1
                continue
            if ROW_START.match(line) or SECTION_RE.match(line) or len(line) > 40:
                break
            block.append((lines[k][0], line))
            k += 1
        names = [(at, c) for at, c in block if not parse(c).ok and not ATTRIBUTE_CELL.match(c)]
        values = [c for _, c in block if parse(c).ok or RELATIVE_GOALS.search(c)]
        attribute = next((c for _, c in block if ATTRIBUTE_CELL.match(c)), "")
        parent_label = names[0][1] if names else ""
        if names and len(names) > 1 and len(values) == (len(names) - 1) * len(years):
            names = names[1:]  # "4.义务教育标准班额比例(%) / 其中:小学 / 初中": a heading row
        elif not names or len(values) != len(names) * len(years):
            break
        parent, suffix = split_unit(parent_label)
        for n, (at, label) in enumerate(names):
            sub = re.sub(r"^其中[:：]\s*", "", label)
            if label != parent_label:  # a part of the row: named with its parent
                sub = f"{parent}（{split_unit(sub)[0]}）" + (f"({suffix})" if suffix else "")
            cells = [sub, *(values[c * len(names) + n] for c in range(len(years))), attribute]
            synthetic = {"name": 0, "years": [(y, c + 1) for c, (y, _) in enumerate(years)],
                         "attribute": len(cells) - 1}  # fmt: skip
            quoted = "……".join(dict.fromkeys([title, label, *cells[1:]]).keys())
            _table_row(result, synthetic, cells, at, title, final_year, quote=quoted)
        rows += 1
        j = k
    return (j - i) if rows else 0


def _cell_table(lines, i, result, final_year) -> int:
    header: list[str] = []
    j = i
    while j < len(lines) and len(header) < 12:
        cell = lines[j][1].strip()
        if not cell:
            j += 1
            continue
        if re.fullmatch(r"1", cell) and header:
            break
        header.append(cell)
        j += 1
    columns = _columns(header)
    if columns is None:
        return 0
    title = _table_title(lines, i)
    width = len(header)
    expected = 1
    rows = 0
    while j < len(lines):
        cells: list[tuple[int, str]] = []
        k = j
        while k < len(lines) and len(cells) < width:
            if lines[k][1].strip():
                cells.append((lines[k][0], lines[k][1].strip()))
            k += 1
        if len(cells) < width or cells[0][1] != str(expected):
            break
        _table_row(result, columns, [c for _, c in cells], cells[columns["name"]][0], title,
                   final_year)  # fmt: skip
        expected += 1
        rows += 1
        j = k
    return (j - i) if rows else 0


def _tab_table(lines, i, result, final_year) -> int:
    header = [c.strip() for c in lines[i][1].split("\t")]
    columns = _columns(header)
    if columns is None:
        return 0
    title = _table_title(lines, i)
    j = i + 1
    while j < len(lines):
        cells = [c.strip() for c in lines[j][1].split("\t")]
        if len(cells) < len(header) or not cells[0].strip().isdigit():
            break
        start = lines[j][0] + lines[j][1].find(cells[columns["name"]])
        _table_row(result, columns, cells, start, title, final_year)
        j += 1
    return j - i if j > i + 1 else 0


def _columns(header: list[str]) -> dict | None:
    columns: dict = {"years": []}
    for index, cell in enumerate(header):
        folded = normalise(cell).replace(" ", "")
        if folded == "序号":
            columns["number"] = index
        elif HEADER_NAME.match(folded) or (folded.startswith("指标") and "属性" not in folded):
            columns["name"] = index
        elif year := HEADER_YEAR.match(folded):
            columns["years"].append((int(year.group(1)), index))
        elif "属性" in folded or folded == "性质":
            columns["attribute"] = index
        elif folded in ("单位", "计量单位"):
            columns["unit"] = index
    if "name" not in columns or not columns["years"]:
        return None
    return columns


def _table_title(lines, i) -> str:
    for back in range(i - 1, max(-1, i - 4), -1):
        line = lines[back][1].strip()
        if line:
            return line if len(line) <= 40 else ""
    return ""


def _table_row(result: Draft, columns: dict, cells: list[str], start: int, title: str,
               final_year: int, quote: str | None = None) -> None:  # fmt: skip
    label = cells[columns["name"]]
    name, unit = split_unit(label)
    if "unit" in columns:
        unit = cells[columns["unit"]] or unit
    years = sorted(columns["years"])
    target_year, target_index = years[-1]
    reading = parse(cells[target_index])
    quote = quote or " ".join([title, *cells]).strip()
    attribute = None
    if "attribute" in columns:
        written = cells[columns["attribute"]]
        attribute = "binding" if "约束" in written else ("expected" if "预期" in written else None)
    if reading.value is None:
        text = cells[target_index]
        for goal in RELATIVE_GOALS.finditer(text):
            result.goals.append(Goal(goal.group(), quote, start, start + len(label)))
        return
    baseline: tuple[int | None, float] | None = None
    if len(years) > 1:
        base_year, base_index = years[0]
        base = parse(cells[base_index])
        if base.value is not None:
            baseline = (base_year, base.value)
    unit = unit or None
    value, high = reading.value, reading.high
    scaled = re.fullmatch(r"(万亿|[千万亿])(人次|人|元|张|个|户|家|所|床|平方米)", unit or "")
    if scaled:
        # "城乡残疾人职业技能培训人数(万人) >4": 40000 人, as the catalogs count
        factor = float(MULTIPLIERS[scaled.group(1)])
        unit = scaled.group(2)
        value = value * factor
        high = high * factor if high is not None else None
        if baseline is not None:
            baseline = (baseline[0], baseline[1] * factor)
    if unit == "%" or reading.percent:
        kind, per = "percent", None
    else:
        kind, per = _kind(unit or "", name)
    review = () if unit or kind == "percent" else ("单位待确认",)
    value_text = cells[target_index]
    result.targets.append(
        DraftTarget(
            name=name,
            unit="%" if reading.percent and not unit else unit,
            kind=kind,
            year=target_year,
            comparator=reading.comparator or "≥",
            value=value,
            high=high,
            text=value_text,
            scope="city",
            quote=quote,
            start=start,
            end=start + len(label),
            domain=_domain(title) or _domain(name) or "综合",
            per=per,
            baseline=baseline,
            attribute=attribute,
            review=review,
            source="table",
        )
    )


# --- baselines --------------------------------------------------------------------------------


def _with_baselines(targets: list[DraftTarget], text: str) -> list[DraftTarget]:
    """A past figure for the same thing ("截至2021年底，全市养老床位总数2万张") is the baseline."""
    past: dict[str, tuple[int | None, float]] = {}
    for start, end in sentences(text):
        sentence = text[start:end]
        aims = any(_target_year(m, sentence) for m in YEAR_RE.finditer(sentence))
        of_the_past = PAST_SENTENCE.search(sentence) and not aims
        for a, b in clauses(text, start, end):
            clause = text[a:b]
            if not of_the_past and not any(word in clause for word in PAST_WORDS):
                continue
            year = YEAR_RE.search(sentence)
            for match in _values(clause):
                name = _clean_name(re.sub("|".join(PAST_WORDS), "", clause[: match.start()]))
                if name and year:
                    reading = parse(_notation(match))
                    if reading.value is not None:
                        past[name] = (int(year.group("year")), reading.value)
    if not past:
        return targets
    result = []
    for target in targets:
        if target.baseline is None:
            for name, baseline in past.items():
                if name.endswith(target.name) or target.name.endswith(name):
                    if baseline[0] is not None and baseline[0] < target.year:
                        target = replace(target, baseline=baseline)
                        break
        result.append(target)
    return result


# --- the draft as a catalog -------------------------------------------------------------------

SUB_UNIT_COUNTS = {
    "街道": ("streets", "街道数"),
    "乡镇": ("townships", "乡镇数"),
    "社区": ("communities", "社区数"),
}


def indicator_code(name: str, taken: set[str]) -> str:
    """A stable ASCII code from the name's pinyin initials ("每千人口拥有托位数" → mqrkyytws),
    unique within the catalog (a second one gets _2)."""
    from pypinyin import Style, lazy_pinyin

    letters = "".join(
        part[0] if part and part[0].isascii() and part[0].isalnum() else ""
        for part in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
    ).lower()
    code = re.sub(r"[^a-z0-9]", "", letters)[:24] or "indicator"
    if not code[0].isalpha():
        code = f"i{code}"
    unique, number = code, 2
    while unique in taken:
        unique, number = f"{code}_{number}", number + 1
    taken.add(unique)
    return unique


def catalog_document(
    result: Draft,
    *,
    catalog_id: str,
    seed: str,
    seed_sha256: str,
    name: str | None = None,
    districts: tuple[str, ...] = (),
) -> dict:
    """The draft in the catalog schema (indicators/model.py), with what a person must still
    decide marked `review`; `catalog lint` lists those until they are resolved."""
    taken: set[str] = set()
    indicators = []
    units_needed: dict[str, tuple[str, str]] = {}
    explicit_year = _explicit_years(result)
    names: dict[str, int] = {}
    for by_year in _by_indicator(result.targets):
        target = by_year[-1]
        entry = _indicator_entry(target, seed, taken, explicit_year, result.first_year)
        names[target.name] = names.get(target.name, 0) + 1
        if names[target.name] > 1:  # two targets of one name for one year: two indicators
            entry["name"] = f"{target.name}（{names[target.name]}）"
            entry.setdefault("review", []).append("与前面的指标同名，请改为能区分的名称")
        if len(by_year) > 1:
            # "到2023年……4.1个……到2025年……4.5个": one indicator, a target for each year
            entry["milestones"] = [_target_spec(t) for t in by_year[:-1]]
            quotes = dict.fromkeys(t.quote for t in by_year)
            entry["source"]["quote"] = ELISION.join(quotes)
            for earlier in by_year[:-1]:
                if earlier.start not in explicit_year:
                    entry.setdefault("review", []).append(
                        f"{earlier.year}年的阶段目标原句没有写年份：年份待确认"
                    )
        if target.scope == "each_sub_unit":
            quote = target.quote
            word = next((w for w in ("社区", "乡镇", "街道") if w in quote), "街道")
            if word == "乡镇" and "街道" in quote:
                word = "街道"
            code, label = SUB_UNIT_COUNTS[word]
            for spec in (entry["target"], *entry.get("milestones", [])):
                spec["units"] = code
            units_needed[code] = (label, target.quote)
        indicators.append(entry)
    for code, (label, quote) in units_needed.items():
        taken.add(code)
        indicators.append(
            {
                "code": code,
                "name": label,
                "domain": "综合",
                "unit": "个",
                "kind": "count",
                "direction": "maintain",
                "source": {"seed": seed, "quote": quote},
            }
        )
    review = []
    unstated = sum(1 for t in result.targets if t.attribute is None)
    if unstated:
        review.append(
            f"{unstated} 项目标的原文没有写明约束性或预期性，"
            "均起草为预期性（attribute: expected），请逐项确认"
        )
    if not result.jurisdiction:
        review.append("所属地区（jurisdiction）待确认")
    level = (
        "province"
        if result.jurisdiction and result.jurisdiction.endswith(("省", "自治区"))
        else "city"
    )
    document = {
        "id": catalog_id,
        "name": name or result.title or catalog_id,
        "jurisdiction": result.jurisdiction or "待确认",
        "level": level,
        "seed": seed,
        "seed_sha256": seed_sha256,
        "published": _published(result.text),
        "reporting_units": {"required": list(districts)},
        "indicators": indicators,
    }
    if review:
        document["review"] = review
    return document


def _by_indicator(targets: list[DraftTarget]) -> list[list[DraftTarget]]:
    """The drafted targets grouped into indicators: one name, unit and scope with targets for
    different years is one indicator with milestones; two for the same year stay two."""
    groups: list[list[DraftTarget]] = []
    for target in targets:
        same = next(
            (
                group
                for group in groups
                if (_same_name(group[0].name), group[0].unit, group[0].scope)
                == (_same_name(target.name), target.unit, target.scope)
                and all(t.year != target.year for t in group)
            ),
            None,
        )
        if same is None:
            groups.append([target])
        else:
            same.append(target)
    for group in groups:
        group.sort(key=lambda t: t.year)
    return groups


def _same_name(name: str) -> str:
    """ "每千人口拥有托位数" and "每千人口托位数": one indicator written two ways."""
    return re.sub(r"拥有|的|全市|全省", "", name)


def _target_spec(target: DraftTarget) -> dict:
    spec: dict = {
        "year": target.year,
        "value": target.value,
        "comparator": target.comparator,
        "text": target.text,
    }
    if target.high is not None:
        spec["high"] = target.high
    if target.scope != "city":
        spec["scope"] = target.scope
    return spec


def _explicit_years(result: Draft) -> set[int]:
    """Starts of targets whose quote names their year (or inherits it within its sentence)."""
    explicit = set()
    for target in result.targets:
        if target.dated is not None:  # the paragraph's or heading's year
            explicit.add(target.start)
            continue
        if target.source == "table" or YEAR_RE.search(result.text[target.quote_start : target.end]):
            explicit.add(target.start)
            continue
        sentence = next(((a, b) for a, b in sentences(result.text) if a <= target.start < b), None)
        if sentence and YEAR_RE.search(result.text[sentence[0] : target.start]):
            explicit.add(target.start)
    return explicit


def _indicator_entry(
    target: DraftTarget, seed: str, taken: set[str], explicit: set[int], first_year: int | None
) -> dict:
    review = list(target.review)
    if target.start not in explicit:
        review.append(f"原句没有写年份，按规划期末 {target.year} 年起草：年份待确认")
    if not target.unit and target.kind != "percent":
        review.append("单位待确认")
    if len(target.name) > 30:
        review.append("名称较长，请改为简短的指标名称")
    entry: dict = {
        "code": indicator_code(target.name, taken),
        "name": target.name,
        "domain": target.domain if target.domain in ("养老", "托育") else "综合",
        "unit": target.unit,
        "kind": target.kind,
    }
    if target.per:
        entry["per"] = target.per
    entry["attribute"] = target.attribute or "expected"
    if target.comparator in ("≤", "<"):
        entry["direction"] = "decrease"
    if target.baseline:
        year = target.baseline[0]
        if year is None:  # "由65%提高到75%": the year before the plan period, to be confirmed
            year = first_year - 1 if first_year else target.year - 5
            review.append(f"原句没有写基期年份，起草为 {year} 年：基期年份待确认")
        entry["baseline"] = {"year": year, "value": target.baseline[1]}
    entry["target"] = _target_spec(target)
    if target.increment:
        since = first_year - 1 if first_year else target.year - 5
        entry["increment"] = {"reported": "yearly", "since": since}
        review.append(
            f"新增类指标：按区县每年填报当年新增数（increment.reported: yearly，{since}年之后起算）"
            "起草；若区县填报总量，改为 level"
        )
    entry["source"] = {"seed": seed, "quote": target.quote}
    if review:
        entry["review"] = list(dict.fromkeys(review))
    return entry


def _published(text: str) -> str:
    head = text[:4000]
    stated = re.search(r"(?:成文日期|发布日期|发文日期)[:：]\s*(\d{4}-\d{2}-\d{2})", head)
    if stated:
        return stated.group(1)
    written = re.search(r"(20\d{2})年(\d{1,2})月(\d{1,2})日", head)
    if written:
        return f"{written.group(1)}-{int(written.group(2)):02d}-{int(written.group(3)):02d}"
    return ""
