"""Command line: check, batch, template, catalog (list / show / lint)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import NoReturn

from submissions.finding import CannotContinue

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def load(id_or_path: str):
    """The catalog loader, imported on first use: `check` starts its reading children before
    this process spends 0.2 s importing pydantic."""
    from indicators import load as load_catalog

    return load_catalog(id_or_path)


class UsageError(Exception):
    """A bad flag or configuration: one line on stderr, exit 2."""


# argparse's own words, in Chinese: argparse looks each one up through its module's `_` and
# `ngettext` when it writes help or an error, so they are put there once, here, for every parser.
ARGPARSE_CHINESE = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示本帮助后退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "the following arguments are required: %s": "缺少参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "无效的选项 %(value)r（可选：%(choices)s）"
    ),
    "invalid %(type)s value: %(value)r": "%(value)r 不是%(type)s",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多一个值",
    "expected at least one argument": "至少需要一个值",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "ambiguous option: %(option)s could match %(matches)s": (
        "选项 %(option)s 不明确，可能是 %(matches)s"
    ),
    "not allowed with argument %s": "不能与参数 %s 一起使用",
    "one of the arguments %s is required": "参数 %s 须给出其中一个",
    "ignored explicit argument %r": "多余的值 %r",
    "unexpected option string: %s": "意外的选项 %s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "没有子命令 %(parser_name)r（可选：%(choices)s）"
    ),
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
    "expected %s argument": "需要 %s 个值",
}


def _chinese(message: str) -> str:
    return ARGPARSE_CHINESE.get(message, message)


def _chinese_plural(singular: str, plural: str, count: int) -> str:
    return ARGPARSE_CHINESE.get(singular, singular if count == 1 else plural)


argparse._ = _chinese  # type: ignore[attr-defined]
argparse.ngettext = _chinese_plural  # type: ignore[attr-defined]


def whole_number(text: str) -> int:
    return int(text)


whole_number.__name__ = "整数"  # argparse names the type in its error: "'abc' 不是整数"


def four_digit_year(text: str) -> int:
    if not (text.isdigit() and len(text) == 4):
        raise ValueError(text)
    return int(text)


four_digit_year.__name__ = "四位年份"


class Parser(argparse.ArgumentParser):
    """argparse in Chinese; an error is one line, not argparse's usage block. A parser may
    compute its closing text (epilog) only when its help is asked for."""

    def __init__(self, *args, epilog_source=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.epilog_source = epilog_source

    def format_help(self) -> str:
        if self.epilog_source is not None:
            self.epilog = self.epilog_source()
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"用法错误：{message}（运行 {self.prog} --help 查看用法）")


def _districts_of_catalogs() -> str:
    """The reporting units of every bundled catalog, for `template --help`."""
    from indicators import catalog_ids

    lines = ["各指标体系的报送单位（--district 取其一）："]
    for cid in catalog_ids():
        catalog = load(cid).catalog
        lines.append(f"  {cid}（{catalog.jurisdiction}）：{'、'.join(catalog.reporting_units.all)}")
    return "\n".join(lines)


def build_parser() -> Parser:
    parser = Parser(prog="validate.py", description="一老一小指标填报数据校验")
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=Parser, title="命令", metavar="命令"
    )

    check = commands.add_parser("check", help="校验一个或多个填报文件")
    check.add_argument("files", nargs="+", metavar="文件")
    _add_common(check)
    check.add_argument(
        "--year",
        type=four_digit_year,
        metavar="年度",
        help="表内和文件名都没有年度时使用的填报年度",
    )
    check.add_argument("--district", metavar="区县", help="表内和文件名都没有填报单位时使用的区县")

    batch = commands.add_parser("batch", help="校验一个目录下的全部填报文件")
    batch.add_argument("directory", metavar="目录")
    _add_common(batch)
    batch.add_argument("--force", action="store_true", help="忽略缓存，重新校验未改动的文件")

    evaluate = commands.add_parser("evaluate", help="终期评估：各项目标是否达到（全市、各区县）")
    evaluate.add_argument("paths", nargs="+", metavar="目录|文件")
    evaluate.add_argument(
        "--catalog", required=True, metavar="指标体系", help="指标体系代码（如 yantai）或 YAML 文件"
    )
    evaluate.add_argument(
        "--year", type=four_digit_year, metavar="年度", help="评估年度（缺省为指标体系的目标年）"
    )
    evaluate.add_argument("--json", dest="json_path", metavar="路径", help="写出评估 JSON")
    evaluate.add_argument("--html", dest="html_dir", metavar="目录", help="写出评估页面")
    evaluate.add_argument("--xlsx", dest="xlsx_path", metavar="路径", help="写出评估工作簿")
    evaluate.add_argument(
        "--docx", dest="docx_path", metavar="路径", help="写出评估报告初稿（Word .docx）"
    )
    evaluate.add_argument(
        "--warn-expected", action="store_true", help="预警也包括预期性指标（缺省只列约束性指标）"
    )

    template = commands.add_parser(
        "template",
        help="生成区县填报模板（.xlsx）",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog_source=_districts_of_catalogs,
    )
    template.add_argument(
        "--catalog", required=True, metavar="指标体系", help="指标体系代码（如 yantai）或 YAML 文件"
    )
    template.add_argument("--district", metavar="区县", help="报送单位（见下面的名单）")
    template.add_argument(
        "--layout",
        choices=["district", "summary"],
        default="district",
        help="district：一个区县的填报表（缺省，须给 --district）；summary：全市汇总表"
        "（指标 × 各区县，另有合计列），市里自己录入各区县数值时用",
    )
    template.add_argument(
        "--year",
        type=four_digit_year,
        metavar="年度",
        help="填报年度（缺省为上一年度，但不晚于规划的最后目标年）",
    )
    template.add_argument(
        "-o", "--output", required=True, metavar="文件.xlsx", help="写出的模板文件"
    )

    export = commands.add_parser(
        "export", help="导出指标体系：Great Expectations 套件（JSON）或 pandera 模式（Python 模块）"
    )
    export.add_argument(
        "--catalog", required=True, metavar="指标体系", help="指标体系代码（如 yantai）或 YAML 文件"
    )
    export.add_argument(
        "--format",
        choices=["gx", "pandera"],
        default="gx",
        help="gx：Great Expectations 套件（缺省）；pandera：pandera 模式",
    )
    export.add_argument(
        "-o", "--output", metavar="路径",
        help="缺省写到 expectations/suites/代码.json 或 expectations/pandera_schemas/代码.py",
    )  # fmt: skip

    recheck = commands.add_parser(
        "recheck", help="按现在的指标体系重新校验服务里保存的上传，列出结果的变化"
    )
    recheck.add_argument("--catalog", metavar="指标体系", help="只重新校验这个指标体系的上传")
    recheck.add_argument(
        "--period", type=four_digit_year, metavar="年度", help="只重新校验这个填报年度的"
    )
    recheck.add_argument("--district", metavar="区县", help="只重新校验这个单位的")
    recheck.add_argument(
        "--unfinished", action="store_true", help="只重新校验校验未完成的（服务中断时留下的）"
    )

    review = commands.add_parser("review", help="审核：list / approve / return / reopen")
    review_actions = review.add_subparsers(
        dest="action", required=True, parser_class=Parser, title="操作", metavar="操作"
    )
    listed = review_actions.add_parser("list", help="列出各单位各期的审核状态")
    listed.add_argument("--catalog", metavar="指标体系", help="只列这个指标体系的")
    listed.add_argument(
        "--state", choices=["uploaded", "submitted", "returned", "approved"],
        help="只列这个状态的：uploaded 已上传、submitted 待审核、returned 已退回、approved 已通过",
    )  # fmt: skip
    listed.add_argument("--period", type=four_digit_year, metavar="年度", help="只列这个年度的")
    listed.add_argument("--json", action="store_true", help="输出 JSON")
    for action, helped in (
        ("approve", "审核通过一份已报送的上传"),
        ("return", "退回一份已报送的上传"),
    ):
        acted = review_actions.add_parser(action, help=helped)
        acted.add_argument("id", type=whole_number, metavar="编号", help="上传编号")
        acted.add_argument("--as", dest="actor", required=True, metavar="账号", help="审核人账号")
        if action == "return":
            acted.add_argument(
                "--comment", required=True, metavar="意见", help="退回意见（写明需要修改的内容）"
            )
    reopened = review_actions.add_parser("reopen", help="重新打开一个已通过的报送期")
    reopened.add_argument("district", metavar="区县")
    reopened.add_argument("year", type=four_digit_year, metavar="年度")
    reopened.add_argument("--as", dest="actor", required=True, metavar="账号", help="审核人账号")

    serve = commands.add_parser("serve", help="启动上传页面和 API（FastAPI）")
    serve.add_argument(
        "--host", default="127.0.0.1", metavar="地址", help="监听地址（缺省 127.0.0.1）"
    )
    serve.add_argument(
        "--port", type=whole_number, default=8000, metavar="端口", help="端口（缺省 8000）"
    )
    serve.add_argument(
        "--workers", type=whole_number, default=1, metavar="个数", help="工作进程数（缺省 1）"
    )
    serve.add_argument("--access-log", action="store_true", help="逐条记录请求（缺省只记错误）")

    users = commands.add_parser(
        "users", help="账号：add / list / token / revoke / disable / enable / passwd"
    )
    user_actions = users.add_subparsers(
        dest="action", required=True, parser_class=Parser, title="操作", metavar="操作"
    )
    add = user_actions.add_parser("add", help="新建账号（密码从标准输入读取）")
    add.add_argument("name", metavar="账号", help="登录名")
    add.add_argument(
        "--role",
        required=True,
        choices=["district", "reviewer"],
        help="district：区县填报；reviewer：审核",
    )
    add.add_argument("--catalog", required=True, metavar="指标体系", help="账号所属的指标体系代码")
    add.add_argument("--district", metavar="区县", help="区县账号所属的单位")
    add.add_argument(
        "--password-stdin", action="store_true", required=True, help="从标准输入读取密码"
    )
    user_actions.add_parser("list", help="列出全部账号（角色、单位、状态、令牌和会话数）")
    for action, helped in (
        ("token", "生成新的 API 令牌（打印在最后一行；已有的令牌仍然有效）"),
        ("revoke", "作废该账号的全部 API 令牌，并结束它的全部会话"),
        ("disable", "停用账号：立即不能登录、令牌和已打开的会话都失效"),
        ("enable", "重新启用账号"),
    ):
        user_actions.add_parser(action, help=helped).add_argument("name", metavar="账号")
    passwd = user_actions.add_parser("passwd", help="重设密码（从标准输入读取），并结束全部会话")
    passwd.add_argument("name", metavar="账号")
    passwd.add_argument(
        "--password-stdin", action="store_true", required=True, help="从标准输入读取密码"
    )

    catalog = commands.add_parser("catalog", help="指标体系：list / show / lint / draft")
    sub = catalog.add_subparsers(
        dest="action", required=True, parser_class=Parser, title="操作", metavar="操作"
    )
    sub.add_parser("list", help="列出全部指标体系")
    show = sub.add_parser("show", help="显示一个指标体系")
    show.add_argument("id", metavar="指标体系")
    show.add_argument("--json", action="store_true", help="输出 JSON")
    lint_parser = sub.add_parser("lint", help="检查指标体系文件")
    lint_parser.add_argument("targets", nargs="*", metavar="指标体系|文件")
    lint_parser.add_argument(
        "--sources",
        metavar="目录",
        help="规划原文目录：核对原文的 SHA-256 和每条引文（缺省取环境变量 VALIDATE_SEEDS_DIR）",
    )
    draft = sub.add_parser("draft", help="从规划原文（txt/html/docx/pdf）起草指标体系 YAML")
    draft.add_argument("plan", metavar="规划原文")
    draft.add_argument(
        "--id",
        required=True,
        dest="catalog_id",
        metavar="代码",
        help="新指标体系的代码（小写字母、数字、下划线）",
    )
    draft.add_argument("--name", metavar="名称", help="指标体系名称（缺省取原文标题）")
    draft.add_argument(
        "--districts", metavar="甲区,乙区", help="应报送的区县，逗号分隔（缺省留待填写）"
    )
    draft.add_argument("-o", "--output", metavar="文件.yaml", help="缺省写到当前目录的 代码.yaml")
    draft.add_argument("--review", metavar="文件.html", help="写出核对页：原文高亮与起草条目对照")
    return parser


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog", required=True, metavar="指标体系", help="指标体系代码（如 yantai）或 YAML 文件"
    )
    parser.add_argument(
        "--json", dest="json_path", metavar="路径", help="写出 JSON 报告（- 表示标准输出）"
    )
    parser.add_argument("--csv", dest="csv_path", metavar="路径", help="写出问题清单 CSV")
    parser.add_argument(
        "--html", dest="html_dir", metavar="目录", help="写出 HTML 报告（汇总页和每个文件一页）"
    )
    parser.add_argument(
        "--annotate", dest="annotate_dir", metavar="目录", help="写出标注了问题的工作簿副本"
    )
    parser.add_argument("--fail-fast", action="store_true", help="遇到第一条错误即停止该文件的校验")
    parser.add_argument(
        "--engine", choices=["pandera", "gx"], default="pandera",
        help="单元格级规则用 pandera（缺省）还是 Great Expectations 运行",
    )  # fmt: skip
    parser.add_argument(
        "--gx-docs", dest="gx_docs", metavar="目录", help="另外生成 GX Data Docs（需联网加载样式）"
    )


def cmd_catalog_list(args: argparse.Namespace) -> int:
    from indicators import catalog_ids

    for cid in catalog_ids():
        cat = load(cid).catalog
        print(f"{cid}\t{cat.jurisdiction}\t{len(cat.indicators)} 项指标\t{cat.name}")
    return EXIT_OK


def cmd_catalog_show(args: argparse.Namespace) -> int:
    from indicators.catalog import catalog_document

    loaded = load(args.id)
    if args.json:
        print(json.dumps(catalog_document(loaded), ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{loaded.catalog.name}（{loaded.catalog.jurisdiction}，版本 {loaded.version}）")
    for ind in loaded.catalog.indicators:
        attr = "约束性" if ind.binding else "预期性"
        print(f"  {ind.code:<40} {ind.name}（{ind.unit or '—'}） {ind.target_summary}  {attr}")
    return EXIT_OK


def cmd_catalog_lint(args: argparse.Namespace) -> int:
    from indicators import catalog_ids
    from indicators.sources import lint_with_sources
    from submissions.settings import settings

    seeds = Path(args.sources) if args.sources else settings().seeds_dir
    if args.sources and not seeds.is_dir():
        raise UsageError(f"规划原文目录不存在：{seeds}")
    failed = False
    for target in args.targets or catalog_ids():
        problems, checked_in = lint_with_sources(target, seeds)
        for problem in problems:
            print(f"{target}: {problem}")
        if not problems:
            print(f"{target}: 没有问题")
        failed = failed or bool(problems)
        if checked_in is None:
            _not_checked_against_plan(target, seeds)
    return EXIT_ERRORS if failed else EXIT_OK


def _not_checked_against_plan(target: str, seeds: Path) -> None:
    """Say where the plan was looked for (a catalog that does not load has its problems listed
    already, and nothing to say here)."""
    from indicators.catalog import CatalogError

    try:
        seed = load(target).catalog.seed
    except CatalogError:
        return
    beside = Path(target).parent if Path(target).suffix in (".yaml", ".yml") else None
    places = [str(p) for p in (beside, seeds) if p is not None]
    where = f"“{seed}”不在 {'，也不在 '.join(places)}"
    _log(f"{target}：未核对规划原文（{where}；把原文放在 YAML 文件旁，或用 --sources 指定）")


def cmd_catalog_draft(args: argparse.Namespace) -> int:
    import re

    from reports.api import draft_catalog

    if not re.fullmatch(r"[a-z][a-z0-9_]*", args.catalog_id):
        raise UsageError(f"ID “{args.catalog_id}”只能用小写字母、数字和下划线，并以字母开头")
    plan = Path(args.plan)
    if not plan.is_file():
        raise UsageError(f"找不到规划文件：{plan}")
    districts = tuple(
        d.strip() for d in (args.districts or "").replace("，", ",").split(",") if d.strip()
    )
    drafted = draft_catalog(
        plan, args.catalog_id, name=args.name, districts=districts,
        output=Path(args.output) if args.output else None,
        review=Path(args.review) if args.review else None, limits=_limits(),
    )  # fmt: skip
    _log(f"起草了 {drafted.targets} 项目标、{drafted.goals} 条相对或定性目标 → {drafted.output}")
    if drafted.review:
        _log(f"核对页：{drafted.review}")
    if drafted.pending:
        _log(f"{drafted.pending} 处待人工确认（validate.py catalog lint {drafted.output} 列出）")
    return EXIT_OK


CATALOG_ACTIONS = {
    "list": cmd_catalog_list,
    "show": cmd_catalog_show,
    "lint": cmd_catalog_lint,
    "draft": cmd_catalog_draft,
}


def cmd_catalog(args: argparse.Namespace) -> int:
    return CATALOG_ACTIONS[args.action](args)


def _outputs(args: argparse.Namespace):
    """check's and batch's report options; every place they name must be writable before any
    file is read (a scheduled job learns of a full disk or a read-only folder at once)."""
    from reports.api import Outputs, check_places

    outputs = Outputs(
        json=args.json_path, csv=args.csv_path, html=args.html_dir,
        annotate=args.annotate_dir, gx_docs=args.gx_docs, summary=not args.json_path,
    )  # fmt: skip
    _places_writable(check_places, outputs.places())
    return outputs


def _places_writable(check_places, places) -> None:
    try:
        check_places(places)
    except CannotContinue as exc:
        raise UsageError(str(exc)) from exc


def cmd_check(args: argparse.Namespace) -> int:
    from reports.api import check_files, write_outputs

    paths = [Path(p) for p in args.files]
    for path in paths:
        if not path.exists():
            raise UsageError(f"文件不存在：{path}")
        if path.is_dir():
            raise UsageError(f"{path} 是目录；校验目录请用 validate.py batch")
    _has_reporting_units(load(args.catalog))
    outputs = _outputs(args)
    outcome = check_files(
        paths, args.catalog, year=args.year, district=args.district, engine=args.engine,
        fail_fast=args.fail_fast, limits=_limits(),
    )  # fmt: skip
    write_outputs(outcome, outputs)
    return EXIT_ERRORS if outcome.has_errors else EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    from reports.api import check_files, inbox, write_outputs

    loaded = load(args.catalog)
    _has_reporting_units(loaded)
    directory = Path(args.directory)
    if not directory.is_dir():
        raise UsageError(f"目录不存在：{directory}")
    outputs = _outputs(args)
    files, skipped = inbox([directory])
    for passed in skipped:
        _log(f"跳过 {passed.path}：{passed.reason}")
    outcome = check_files(
        files, loaded, cache=True, force=args.force, engine=args.engine,
        fail_fast=args.fail_fast, progress=_progress(len(files)), limits=_limits(),
    )  # fmt: skip
    if outcome.reused:
        _log(
            f"{outcome.reused} 个文件内容和指标体系版本都未改动，"
            "沿用上次读取的结果（--force 可全部重读）"
        )
    write_outputs(outcome, outputs)
    return EXIT_ERRORS if outcome.has_errors else EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from reports.api import EvaluationOutputs, check_places, evaluate_files, inbox, write_evaluation
    from reports.evaluation_report import evaluation_text

    loaded = load(args.catalog)
    _has_reporting_units(loaded)
    for given in map(Path, args.paths):
        if not given.exists():
            raise UsageError(f"文件或目录不存在：{given}")
    files, skipped = inbox(args.paths)
    for passed in skipped:
        _log(f"跳过 {passed.path}：{passed.reason}")
    if not files:
        raise UsageError("没有可评估的文件")
    outputs = EvaluationOutputs(
        json=args.json_path, html=args.html_dir, xlsx=args.xlsx_path, docx=args.docx_path
    )
    _places_writable(check_places, outputs.places())
    evaluation = evaluate_files(
        files,
        loaded,
        args.year,
        progress=_progress(len(files)),
        limits=_limits(),
        warn_expected=args.warn_expected,
    )
    write_evaluation(evaluation, outputs)
    print(evaluation_text(evaluation))
    # as check and batch: a file that could not be read makes the run fail (exit 1)
    return EXIT_ERRORS if evaluation.unreadable_files else EXIT_OK


def _limits():
    from submissions.settings import settings

    try:
        return settings().limits
    except CannotContinue as exc:
        raise UsageError(str(exc)) from exc


def _progress(total: int):
    """A progress bar on a terminal, plain log lines (every 10%) otherwise."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, unit="个文件", file=sys.stderr, leave=False)

        def step(path: Path) -> None:
            bar.update(1)
            if bar.n == total:
                bar.close()

        return step
    counter = {"done": 0}
    every = max(1, total // 10)

    def log(path: Path) -> None:
        counter["done"] += 1
        if counter["done"] % every == 0 or counter["done"] == total:
            _log(f"已读取 {counter['done']}/{total}：{path}")

    return log


def _log(message: str) -> None:
    print(f"validate: {message}", file=sys.stderr, flush=True)


def cmd_template(args: argparse.Namespace) -> int:
    import datetime

    from submissions.template import write_template

    loaded = load(args.catalog)
    _has_reporting_units(loaded)
    last_target = loaded.catalog.last_target_year
    if args.layout == "summary":
        from submissions.template import write_summary_template

        year = args.year or min(datetime.date.today().year - 1, last_target)
        output = Path(args.output)
        if output.suffix.lower() != ".xlsx":
            raise UsageError("模板只能写成 .xlsx 文件")
        write_summary_template(output, loaded.catalog, year)
        _log(f"已生成{loaded.catalog.jurisdiction} {year}年汇总表模板：{output}")
        return EXIT_OK
    if not args.district:
        raise UsageError("区县填报表须用 --district 指定报送单位（全市汇总表用 --layout summary）")
    district = loaded.catalog.district(args.district)
    if district is None:
        units = "、".join(loaded.catalog.reporting_units.all)
        raise UsageError(
            f"“{args.district}”不是{loaded.catalog.jurisdiction}的报送单位（可用：{units}）"
        )
    # Districts report the last complete year, and never past the plan's final target year.
    year = args.year or min(datetime.date.today().year - 1, last_target)
    output = Path(args.output)
    if output.suffix.lower() != ".xlsx":
        raise UsageError("模板只能写成 .xlsx 文件")
    write_template(output, loaded.catalog, district, year)
    _log(f"已生成{district} {year}年填报模板：{output}")
    return EXIT_OK


def _has_reporting_units(loaded) -> None:
    """A catalog without reporting units (a fresh draft) cannot say whose templates or
    reports these are: the user is told how to add them."""
    if not loaded.catalog.reporting_units.all:
        from indicators.catalog import REPORTING_UNITS_HINT

        raise UsageError(f"指标体系 {loaded.path.name} {REPORTING_UNITS_HINT}")


def cmd_export(args: argparse.Namespace) -> int:
    loaded = load(args.catalog)
    if args.format == "pandera":
        from expectations.pandera_export import write_schema

        path = write_schema(loaded, Path(args.output) if args.output else None)
        _log(f"pandera 模式已写入 {path}")
        return EXIT_OK
    from expectations.gx import suite_path, write_suite

    path = write_suite(loaded, Path(args.output) if args.output else suite_path(loaded.catalog.id))
    _log(f"GX 期望套件已写入 {path}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from reports.service.app import serve

    serve(args.host, args.port, workers=args.workers, access_log=args.access_log)
    return EXIT_OK


def cmd_users(args: argparse.Namespace) -> int:
    from reports.service.store import Store

    store = Store()
    store.migrate()
    if args.action == "add":
        catalog = load(args.catalog).catalog
        district = None
        if args.role == "district":
            district = catalog.district(args.district or "")
            if district is None:
                raise UsageError(f"区县账号须用 --district 指定{catalog.jurisdiction}的报送单位")
        password = _password_from_stdin()
        if store.account(args.name) is not None:
            raise UsageError(f"账号“{args.name}”已存在")
        store.add_account(args.name, args.role, catalog.id, district, password)
        where = f"，{district}" if district else ""
        _log(f"已创建账号 {args.name}（{args.role}，{catalog.id}{where}）")
        return EXIT_OK
    if args.action == "list":
        print("账号\t角色\t指标体系\t单位\t状态\tAPI 令牌\t会话\t创建时间")
        for account, tokens, sessions in store.accounts():
            role = "审核人" if account.role == "reviewer" else "区县"
            state = "已停用" if account.disabled else "启用"
            created = f"{account.created_at:%Y-%m-%d %H:%M}"
            print(
                f"{account.name}\t{role}\t{account.catalog}\t{account.district or '—'}\t"
                f"{state}\t{tokens}\t{sessions}\t{created}"
            )
        return EXIT_OK
    try:
        if args.action == "token":
            token = store.new_token(args.name)
            print("API 令牌（只显示这一次）：")
            print(token)
        elif args.action == "revoke":
            count = store.revoke(args.name)
            _log(f"已作废账号 {args.name} 的 {count} 个 API 令牌，并结束它的全部会话")
        elif args.action in ("disable", "enable"):
            store.set_disabled(args.name, args.action == "disable")
            done = "停用（会话和令牌已立即失效）" if args.action == "disable" else "重新启用"
            _log(f"账号 {args.name} 已{done}")
        elif args.action == "passwd":
            store.set_password(args.name, _password_from_stdin())
            _log(f"账号 {args.name} 的密码已重设，它的全部会话已结束")
    except LookupError as exc:
        raise UsageError(f"没有账号“{args.name}”（validate.py users list 列出全部账号）") from exc
    return EXIT_OK


def cmd_recheck(args: argparse.Namespace) -> int:
    """Stored uploads checked again from their kept bytes; one line per upload on what changed.
    An unfinished upload another live process is checking is left to it."""
    from reports.service.intake import abandoned, change_summary, recheck, this_process
    from reports.service.store import Store

    store = Store()
    store.migrate()
    catalog = load(args.catalog).catalog.id if args.catalog else None
    rows = store.selected(catalog, args.period, args.district, args.unfinished)
    me, taken, busy = this_process(), [], []
    for row in rows:
        if row.checked_at is None and not (
            abandoned(row.checker, row.claimed_at, stale=600) and store.claim(row, me)
        ):
            busy.append(row)
        else:
            taken.append(row)
    for row in busy:
        _log(f"第 {row.id} 号上传正由另一个进程校验（{row.checker}），跳过")
    if not taken:
        _log("没有符合条件的上传")
        return EXIT_OK
    done = recheck(store, taken)
    for row, before, after in done:
        print(change_summary(row, before, after))
    changed = sum(not change_summary(row, b, a).endswith("无变化") for row, b, a in done)
    _log(f"重新校验了 {len(done)} 份上传，{changed} 份结果有变化")
    failing = any(after["status"] in ("error", "unreadable") for _row, _b, after in done)
    return EXIT_ERRORS if failing else EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    """The review loop for operators: the same actions, states and audit rows as the pages."""
    from reports.clock import shown
    from reports.service import review
    from reports.service.store import Store

    store = Store()
    store.migrate()
    if args.action == "list":
        catalogs = [load(args.catalog).catalog.id] if args.catalog else store.catalogs_in_use()
        found = [
            r for c in catalogs for r in review.reviews(store, c)
            if (args.state is None or r.state == args.state)
            and (args.period is None or r.period == args.period)
        ]  # fmt: skip
        listed = [
            {"catalog": r.catalog, "district": r.district, "year": r.period, "state": r.state,
             "state_label": review.STATE_LABELS[r.state], "submission": r.submission_id,
             "updated_at": shown(r.updated_at)}
            for r in found
        ]  # fmt: skip
        if args.json:
            print(json.dumps(listed, ensure_ascii=False, indent=2))
        else:
            print("指标体系\t单位\t年度\t状态\t上传编号\t更新时间")
            for r in listed:
                print(f"{r['catalog']}\t{r['district']}\t{r['year']}\t{r['state_label']}\t"
                      f"{r['submission']}\t{r['updated_at']}")  # fmt: skip
        return EXIT_OK
    actor = store.account(args.actor)
    if actor is None or actor.role != "reviewer":
        raise UsageError(f"“{args.actor}”不是审核人账号（validate.py users list 列出全部账号）")
    try:
        if args.action == "reopen":
            state = review.reopen(store, actor, actor.catalog, args.district, args.year)
            _log(f"{args.district} {args.year}年度已重新打开，现为“{review.STATE_LABELS[state]}”")
            return EXIT_OK
        row = store.submission(args.id, actor)
        if row is None:
            raise UsageError(f"没有第 {args.id} 号上传，或它不属于 {actor.catalog}")
        state = review.act(store, actor, row, args.action, text=getattr(args, "comment", ""))
    except review.Refused as refused:
        print(refused.message, file=sys.stderr)
        return EXIT_ERRORS
    done, now = review.ACTION_LABELS[args.action], review.STATE_LABELS[state]
    _log(f"第 {args.id} 号上传：{done}，现为“{now}”")
    return EXIT_OK


def _password_from_stdin() -> str:
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        raise UsageError("密码至少 8 个字符")
    return password


COMMANDS = {
    "serve": cmd_serve,
    "users": cmd_users,
    "recheck": cmd_recheck,
    "review": cmd_review,
    "catalog": cmd_catalog,
    "check": cmd_check,
    "batch": cmd_batch,
    "evaluate": cmd_evaluate,
    "template": cmd_template,
    "export": cmd_export,
}


def _logging() -> None:
    """Our own log lines on stderr as `validate: …`; libraries only say something when wrong."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("validate: %(message)s"))
    ours = logging.getLogger("validate")
    if not ours.handlers:
        ours.addHandler(handler)
        ours.setLevel(logging.INFO)
        ours.propagate = False


def main(argv: list[str] | None = None) -> int:
    _logging()
    try:
        args = build_parser().parse_args(argv)
        from submissions.settings import settings

        settings()  # every setting checked before any work: a bad one is one line, exit 2
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except CannotContinue as exc:  # a configuration value that cannot be used
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        from submissions.output import why

        print(f"无法写出结果：{exc.filename or ''}（{why(exc)}）", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # the last guard: one line for the user, the trace in a log file
        from indicators import CatalogError

        if isinstance(exc, CatalogError):
            print(f"配置错误：{exc}", file=sys.stderr)
            return EXIT_USAGE
        log = _log_internal_error()
        print(f"内部错误：{type(exc).__name__}: {exc}（详细信息已写入 {log}）", file=sys.stderr)
        return EXIT_ERRORS


def _log_internal_error() -> str:
    try:
        from submissions.settings import settings

        folder = settings().data_dir / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "internal-errors.log"
        with path.open("a", encoding="utf-8") as out:
            out.write(traceback.format_exc() + "\n")
        return str(path)
    except Exception:
        return "（无法写日志）"


def leave(code: int) -> None:
    """Exit once everything is written: the readers stopped, output flushed, and the heap left
    to the operating system rather than taken apart object by object (0.25 s after a file
    with 386,000 findings)."""
    from submissions.reading.isolation import close_all

    close_all()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (… | head): nothing more to say
            pass
    os._exit(code)


if __name__ == "__main__":
    leave(main())
