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


ARGPARSE_WORDS = {
    "the following arguments are required": "缺少参数",
    "unrecognized arguments": "无法识别的参数",
    "invalid int value": "不是整数",
    "invalid choice": "无效的选项",
    "expected one argument": "需要一个值",
    "argument ": "参数 ",
    "choose from": "可选",
}


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        for english, chinese in ARGPARSE_WORDS.items():
            message = message.replace(english, chinese)
        raise UsageError(f"用法错误：{message}（运行 {self.prog} --help 查看用法）")


def build_parser() -> Parser:
    parser = Parser(prog="validate.py", description="一老一小指标填报数据校验")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    check = commands.add_parser("check", help="校验一个或多个填报文件")
    check.add_argument("files", nargs="+", metavar="FILE")
    _add_common(check)
    check.add_argument("--year", type=int, help="表内和文件名都没有年度时使用的填报年度")
    check.add_argument("--district", help="表内和文件名都没有填报单位时使用的区县")

    batch = commands.add_parser("batch", help="校验一个目录下的全部填报文件")
    batch.add_argument("directory", metavar="DIR")
    _add_common(batch)
    batch.add_argument("--force", action="store_true", help="忽略缓存，重新校验未改动的文件")

    evaluate = commands.add_parser("evaluate", help="终期评估：各项目标是否达到（全市、各区县）")
    evaluate.add_argument("paths", nargs="+", metavar="DIR|FILE")
    evaluate.add_argument("--catalog", required=True, metavar="ID", help="指标体系 ID 或 YAML 文件")
    evaluate.add_argument("--year", type=int, help="评估年度（缺省为指标体系的目标年）")
    evaluate.add_argument("--json", dest="json_path", metavar="PATH", help="写出评估 JSON")
    evaluate.add_argument("--html", dest="html_dir", metavar="DIR", help="写出评估页面")
    evaluate.add_argument("--xlsx", dest="xlsx_path", metavar="PATH", help="写出评估工作簿")

    template = commands.add_parser("template", help="生成区县填报模板（.xlsx）")
    template.add_argument("--catalog", required=True, metavar="ID")
    template.add_argument("--district", required=True, metavar="NAME")
    template.add_argument("--year", type=int, help="填报年度（缺省为今年）")
    template.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")

    export = commands.add_parser(
        "export", help="导出指标体系：Great Expectations 套件（JSON）或 pandera 模式（Python 模块）"
    )
    export.add_argument("--catalog", required=True, metavar="ID")
    export.add_argument("--format", choices=["gx", "pandera"], default="gx")
    export.add_argument(
        "-o", "--output", metavar="PATH",
        help="缺省写到 expectations/suites/ID.json 或 expectations/pandera_schemas/ID.py",
    )  # fmt: skip

    recheck = commands.add_parser(
        "recheck", help="按现在的指标体系重新校验服务里保存的上传，列出结果的变化"
    )
    recheck.add_argument("--catalog", metavar="ID", help="只重新校验这个指标体系的上传")
    recheck.add_argument("--period", type=int, metavar="YEAR", help="只重新校验这个填报年度的")
    recheck.add_argument("--district", metavar="NAME", help="只重新校验这个单位的")
    recheck.add_argument(
        "--unfinished", action="store_true", help="只重新校验校验未完成的（服务中断时留下的）"
    )

    serve = commands.add_parser("serve", help="启动上传页面和 API（FastAPI）")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="工作进程数")
    serve.add_argument("--access-log", action="store_true", help="逐条记录请求（缺省只记错误）")

    users = commands.add_parser(
        "users", help="账号：add / list / token / revoke / disable / enable / passwd"
    )
    user_actions = users.add_subparsers(dest="action", required=True, parser_class=Parser)
    add = user_actions.add_parser("add", help="新建账号（密码从标准输入读取）")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=["district", "reviewer"])
    add.add_argument("--catalog", required=True, metavar="ID")
    add.add_argument("--district", metavar="NAME")
    add.add_argument("--password-stdin", action="store_true", required=True)
    user_actions.add_parser("list", help="列出全部账号（角色、单位、状态、令牌和会话数）")
    for action, helped in (
        ("token", "生成新的 API 令牌（打印在最后一行；已有的令牌仍然有效）"),
        ("revoke", "作废该账号的全部 API 令牌，并结束它的全部会话"),
        ("disable", "停用账号：立即不能登录、令牌和已打开的会话都失效"),
        ("enable", "重新启用账号"),
    ):
        user_actions.add_parser(action, help=helped).add_argument("name", metavar="NAME")
    passwd = user_actions.add_parser("passwd", help="重设密码（从标准输入读取），并结束全部会话")
    passwd.add_argument("name", metavar="NAME")
    passwd.add_argument("--password-stdin", action="store_true", required=True)

    catalog = commands.add_parser("catalog", help="指标体系：list / show / lint / draft")
    sub = catalog.add_subparsers(dest="action", required=True, parser_class=Parser)
    sub.add_parser("list", help="列出全部指标体系")
    show = sub.add_parser("show", help="显示一个指标体系")
    show.add_argument("id", metavar="ID")
    show.add_argument("--json", action="store_true", help="输出 JSON")
    lint_parser = sub.add_parser("lint", help="检查指标体系文件")
    lint_parser.add_argument("targets", nargs="*", metavar="ID|FILE")
    lint_parser.add_argument(
        "--sources",
        metavar="DIR",
        help="规划原文目录：核对原文的 SHA-256 和每条引文（缺省 $VALIDATE_SEEDS_DIR）",
    )
    draft = sub.add_parser("draft", help="从规划原文（txt/html/docx/pdf）起草指标体系 YAML")
    draft.add_argument("plan", metavar="PLAN")
    draft.add_argument(
        "--id", required=True, dest="catalog_id", metavar="ID", help="新指标体系的 ID"
    )
    draft.add_argument("--name", metavar="NAME", help="指标体系名称（缺省取原文标题）")
    draft.add_argument(
        "--districts", metavar="甲区,乙区", help="应报送的区县，逗号分隔（缺省留待填写）"
    )
    draft.add_argument("-o", "--output", metavar="FILE.yaml", help="缺省写到当前目录的 ID.yaml")
    draft.add_argument("--review", metavar="FILE.html", help="写出核对页：原文高亮与起草条目对照")
    return parser


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalog", required=True, metavar="ID", help="指标体系 ID 或 YAML 文件")
    parser.add_argument(
        "--json", dest="json_path", metavar="PATH", help="写出 JSON 报告（- 表示标准输出）"
    )
    parser.add_argument("--csv", dest="csv_path", metavar="PATH", help="写出问题清单 CSV")
    parser.add_argument(
        "--html", dest="html_dir", metavar="DIR", help="写出 HTML 报告（汇总页和每个文件一页）"
    )
    parser.add_argument(
        "--annotate", dest="annotate_dir", metavar="DIR", help="写出标注了问题的工作簿副本"
    )
    parser.add_argument("--fail-fast", action="store_true", help="遇到第一条错误即停止该文件的校验")
    parser.add_argument(
        "--engine", choices=["pandera", "gx"], default="pandera",
        help="单元格级规则用 pandera（缺省）还是 Great Expectations 运行",
    )  # fmt: skip
    parser.add_argument(
        "--gx-docs", dest="gx_docs", metavar="DIR", help="另外生成 GX Data Docs（需联网加载样式）"
    )


def cmd_catalog(args: argparse.Namespace) -> int:
    from indicators import catalog_ids, lint

    if args.action == "list":
        for cid in catalog_ids():
            loaded = load(cid)
            cat = loaded.catalog
            print(f"{cid}\t{cat.jurisdiction}\t{len(cat.indicators)} 项指标\t{cat.name}")
        return EXIT_OK
    if args.action == "draft":
        return cmd_draft(args)
    if args.action == "show":
        loaded = load(args.id)
        document = catalog_document(loaded)
        if args.json:
            print(json.dumps(document, ensure_ascii=False, indent=2))
        else:
            print(f"{loaded.catalog.name}（{loaded.catalog.jurisdiction}，版本 {loaded.version}）")
            for ind in loaded.catalog.indicators:
                attr = "约束性" if ind.binding else "预期性"
                print(
                    f"  {ind.code:<40} {ind.name}（{ind.unit or '—'}） {ind.target_summary}  {attr}"
                )
        return EXIT_OK
    from indicators.sources import source_problems
    from submissions.settings import settings

    folder = Path(args.sources) if args.sources else settings().seeds_dir
    if args.sources and not folder.is_dir():
        raise UsageError(f"规划原文目录不存在：{folder}")
    if not folder.is_dir():
        _log(f"未核对规划原文：找不到目录 {folder}（用 --sources 指定）")
    targets = args.targets or catalog_ids()
    failed = False
    for target in targets:
        problems = lint(target)
        # a drafted catalog's plan may lie beside it; a bundled one's is in the seeds folder
        here = Path(target).parent if Path(target).suffix in (".yaml", ".yml") else None
        plans = folder if here is None else here  # a drafted catalog's plan lies beside it
        if (not problems and (plans / load(target).catalog.seed).is_file()) or (
            not problems and here is None and folder.is_dir()
        ):
            problems = source_problems(load(target).catalog, plans)
        for problem in problems:
            print(f"{target}: {problem}")
        failed = failed or bool(problems)
        if not problems:
            print(f"{target}: 没有问题")
    return EXIT_ERRORS if failed else EXIT_OK


def cmd_draft(args: argparse.Namespace) -> int:
    """Read the plan in a child process (a crafted .docx or .pdf costs only the child), draft,
    write the YAML and the review page."""
    import re

    import yaml

    from indicators import CatalogError
    from indicators.drafting import catalog_document as drafted_document
    from indicators.drafting import draft
    from indicators.model import Catalog
    from indicators.plans import Plan, read_plan
    from submissions.output import write_text
    from submissions.reading.isolation import Failure, Job, Pool

    if not re.fullmatch(r"[a-z][a-z0-9_]*", args.catalog_id):
        raise UsageError(f"ID “{args.catalog_id}”只能用小写字母、数字和下划线，并以字母开头")
    plan_path = Path(args.plan)
    if not plan_path.is_file():
        raise UsageError(f"找不到规划文件：{plan_path}")
    pool = Pool(_limits(), size=1)
    try:
        [plan] = pool.run([Job(read_plan, (plan_path,))])
    finally:
        pool.close()
    if isinstance(plan, Failure):
        raise CatalogError(f"{plan_path.name}：{plan.reason}")
    assert isinstance(plan, Plan)
    result = draft(plan.text)
    districts = tuple(
        d.strip() for d in (args.districts or "").replace("，", ",").split(",") if d.strip()
    )
    document = drafted_document(
        result,
        catalog_id=args.catalog_id,
        seed=plan.name,
        seed_sha256=plan.sha256,
        name=args.name,
        districts=districts,
    )
    Catalog.model_validate(document)  # what is written loads
    output = Path(args.output) if args.output else Path(f"{args.catalog_id}.yaml")
    shown_name = " ".join(plan.name.split())  # a file name may hold a line break
    header = (
        f"# 由 validate.py catalog draft 从《{shown_name}》起草（{len(result.targets)} 项目标）。\n"
        "# 标有 review 的条目待人工确认：核对原文后改正并删去 review，"
        "直到 validate.py catalog lint 本文件没有问题。\n"
    )
    body = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    write_text(output, header + body)
    _log(f"起草了 {len(result.targets)} 项目标、{len(result.goals)} 条相对或定性目标 → {output}")
    if args.review:
        from reports.draft_page import write_draft_page

        review_path = write_draft_page(Path(args.review), result, document)
        _log(f"核对页：{review_path}")
    pending = sum(1 for i in document["indicators"] if i.get("review")) + len(
        document.get("review", [])
    )
    if pending:
        _log(f"{pending} 处待人工确认（validate.py catalog lint {output} 列出）")
    return EXIT_OK


def catalog_document(loaded) -> dict:
    cat = loaded.catalog
    indicators = []
    for ind in cat.indicators:
        target = None
        if ind.target is not None:  # a count of streets has none
            target = {
                "year": ind.target.year,
                "value": ind.target.value,
                "comparator": ind.target.comparator,
                "text": ind.target.text,
                "scope": ind.target.scope,
            }
            if ind.target.units:
                target["units"] = ind.target.units
            if ind.target.comparator == "range":
                target["low"], target["high"] = ind.target.value, ind.target.high
            if ind.target.comparator == "≈":
                target["tolerance"] = ind.target.tolerance
        indicators.append(
            {
                "code": ind.code,
                "name": ind.name,
                "aliases": list(ind.aliases),
                "unit": ind.unit,
                "kind": ind.kind,
                "domain": ind.domain,
                "attribute": ind.attribute,
                "direction": ind.direction,
                "required": ind.required,
                "additive": ind.sums_across_districts,
                "baseline": (
                    {"year": ind.baseline.year, "value": ind.baseline.value}
                    if ind.baseline
                    else None
                ),
                "target": target,
                "relations": [r.model_dump() for r in ind.relations],
                "source": {"seed": ind.source.seed, "quote": ind.source.quote},
            }
        )
    return {
        "id": cat.id,
        "name": cat.name,
        "jurisdiction": cat.jurisdiction,
        "version": loaded.version,
        "reporting_units": {
            "required": list(cat.reporting_units.required),
            "optional": list(cat.reporting_units.optional),
        },
        "indicators": indicators,
    }


FILE_OUTPUTS = ("json_path", "csv_path", "xlsx_path")
FOLDER_OUTPUTS = ("html_dir", "annotate_dir", "gx_docs")


def _check_outputs(args: argparse.Namespace) -> None:
    """Every place a report goes must be writable before any file is read: a scheduled job
    learns of a full disk or a read-only folder at once, in one line."""
    # the output options of check, batch and evaluate (each command has some of them)
    given = [getattr(args, name, None) for name in (*FILE_OUTPUTS, *FOLDER_OUTPUTS)]
    folders = [
        Path(value) if name in FOLDER_OUTPUTS else Path(value).parent
        for name, value in zip((*FILE_OUTPUTS, *FOLDER_OUTPUTS), given, strict=True)
        if value and value != "-"
    ]
    from submissions.output import check_writable, why

    for folder in folders:
        try:
            check_writable(folder)
        except OSError as exc:
            raise UsageError(f"无法写出结果：{folder}（{why(exc)}）") from exc


def cmd_check(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.files]
    for path in paths:
        if not path.exists():
            raise UsageError(f"文件不存在：{path}")
        if path.is_dir():
            raise UsageError(f"{path} 是目录；校验目录请用 validate.py batch")
    _check_outputs(args)
    from submissions.reading.dispatch import Reading
    from submissions.reading.isolation import shared_pool

    # A reading child starts first; the file is sent to it as soon as the catalog is loaded,
    # and it parses while pandas and pandera are imported here.
    pool = shared_pool(_limits())
    pool.warm(min(len(paths), pool.size))
    loaded = load(args.catalog)
    reading = Reading(paths, loaded.catalog, year=args.year, district=args.district, pool=pool)
    from expectations import validate
    from expectations.engine import prepare

    prepare()
    submissions = reading.result()
    args.sources = {str(p): p for p in paths}
    outcome = validate(submissions, loaded, fail_fast=args.fail_fast, engine=args.engine)
    return _write_outputs(outcome, args)


def _limits():
    from submissions.settings import settings

    try:
        return settings().limits
    except CannotContinue as exc:
        raise UsageError(str(exc)) from exc


def cmd_batch(args: argparse.Namespace) -> int:
    loaded = load(args.catalog)
    directory = Path(args.directory)
    if not directory.is_dir():
        raise UsageError(f"目录不存在：{directory}")
    _check_outputs(args)
    limits = _limits()
    from submissions.batch_cache import CachedReading
    from submissions.reading.inbox import list_inbox

    files, skipped = list_inbox(directory)
    for passed in skipped:
        _log(f"跳过 {passed.path}：{passed.reason}")
    reading = CachedReading(
        files, loaded, force=args.force, progress=_progress(len(files)), limits=limits
    )
    from expectations import validate  # imported while the children read

    submissions = reading.result()
    args.sources = {str(p): p for p in files}
    if reading.cached:
        _log(
            f"{len(reading.cached)} 个文件内容和指标体系版本都未改动，"
            "沿用上次读取的结果（--force 可全部重读）"
        )
    outcome = validate(submissions, loaded, fail_fast=args.fail_fast, engine=args.engine)
    return _write_outputs(outcome, args)


def cmd_evaluate(args: argparse.Namespace) -> int:
    loaded = load(args.catalog)
    from submissions.reading.inbox import list_inbox

    files: list[Path] = []
    for given in map(Path, args.paths):
        if given.is_dir():
            found, skipped = list_inbox(given)
            for passed in skipped:
                _log(f"跳过 {passed.path}：{passed.reason}")
            files += found
        elif given.is_file():
            files.append(given)
        else:
            raise UsageError(f"文件或目录不存在：{given}")
    if not files:
        raise UsageError("没有可评估的文件")
    _check_outputs(args)
    from submissions.reading.dispatch import Reading

    reading = Reading(files, loaded.catalog, progress=_progress(len(files)), limits=_limits())
    from expectations import validate
    from expectations.evaluation import evaluate
    from reports.evaluation_report import evaluation_document, evaluation_text

    outcome = validate(reading.result(), loaded)
    evaluation = evaluate(outcome, args.year)
    if args.json_path:
        from reports.json_report import write_json

        write_json(evaluation_document(evaluation), Path(args.json_path))
        _log(f"评估 JSON 已写入 {args.json_path}")
    if args.html_dir:
        from reports.evaluation_page import write_evaluation_page

        page = write_evaluation_page(evaluation, Path(args.html_dir))
        _log(f"评估页面已写入 {page}")
    if args.xlsx_path:
        from reports.evaluation_workbook import write_evaluation_workbook

        write_evaluation_workbook(evaluation, Path(args.xlsx_path))
        _log(f"评估工作簿已写入 {args.xlsx_path}")
    print(evaluation_text(evaluation))
    # as check and batch: a file that could not be read makes the run fail (exit 1)
    return EXIT_ERRORS if any(r.submission.unreadable for r in outcome.results) else EXIT_OK


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


def _write_outputs(outcome, args: argparse.Namespace) -> int:
    from reports import document, summary, write_csv, write_json

    def write_tables() -> None:
        if args.json_path == "-":  # for a pipeline: the document on standard output
            from reports.json_report import write_document

            sys.stdout.flush()
            write_document(document(outcome, deferred=True), sys.stdout.buffer)
            sys.stdout.buffer.flush()
        elif args.json_path:
            write_json(document(outcome, deferred=True), Path(args.json_path))
            _log(f"JSON 报告已写入 {args.json_path}")
        if args.csv_path:
            write_csv(outcome, Path(args.csv_path))
            _log(f"问题清单已写入 {args.csv_path}")

    if not args.html_dir:
        write_tables()
    if args.gx_docs:
        from expectations.gx import build_data_docs

        index = build_data_docs(outcome.loaded, outcome.table, Path(args.gx_docs))
        _log(f"GX Data Docs 已写入 {index}（这些页面从 CDN 加载样式和脚本，离线打开会失去样式）")
    if args.html_dir:
        from reports.html import write_html

        # the JSON and CSV are written while forked processes render the pages
        dashboard = write_html(
            outcome, Path(args.html_dir), workers=os.cpu_count() or 1, meanwhile=write_tables
        )
        _log(f"HTML 报告已写入 {dashboard}")
    if args.annotate_dir:
        from reports.annotate import write_annotated

        written = write_annotated(outcome, Path(args.annotate_dir), getattr(args, "sources", {}))
        _log(f"已写出 {len(written)} 个标注副本到 {args.annotate_dir}")
    if not args.json_path:
        print(summary(outcome))
    return EXIT_ERRORS if outcome.has_errors else EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    import datetime

    from submissions.template import write_template

    loaded = load(args.catalog)
    district = loaded.catalog.district(args.district)
    if district is None:
        units = "、".join(loaded.catalog.reporting_units.all)
        raise UsageError(
            f"“{args.district}”不是{loaded.catalog.jurisdiction}的报送单位（可用：{units}）"
        )
    # Districts report the last complete year, and never past the plan's final target year.
    last_target = loaded.catalog.last_target_year
    year = args.year or min(datetime.date.today().year - 1, last_target)
    output = Path(args.output)
    if output.suffix.lower() != ".xlsx":
        raise UsageError("模板只能写成 .xlsx 文件")
    write_template(output, loaded.catalog, district, year)
    _log(f"已生成{district} {year}年填报模板：{output}")
    return EXIT_OK


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


def _password_from_stdin() -> str:
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        raise UsageError("密码至少 8 个字符")
    return password


COMMANDS = {
    "serve": cmd_serve,
    "users": cmd_users,
    "recheck": cmd_recheck,
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
