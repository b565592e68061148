"""Command line: check, batch, template, catalog (list / show / lint)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from indicators import CatalogError, catalog_ids, lint, load

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad flag or configuration: one line on stderr, exit 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
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

    template = commands.add_parser("template", help="生成区县填报模板（.xlsx）")
    template.add_argument("--catalog", required=True, metavar="ID")
    template.add_argument("--district", required=True, metavar="NAME")
    template.add_argument("--year", type=int, help="填报年度（缺省为今年）")
    template.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")

    catalog = commands.add_parser("catalog", help="指标体系：list / show / lint")
    sub = catalog.add_subparsers(dest="action", required=True, parser_class=Parser)
    sub.add_parser("list", help="列出全部指标体系")
    show = sub.add_parser("show", help="显示一个指标体系")
    show.add_argument("id", metavar="ID")
    show.add_argument("--json", action="store_true", help="输出 JSON")
    lint_parser = sub.add_parser("lint", help="检查指标体系文件")
    lint_parser.add_argument("targets", nargs="*", metavar="ID|FILE")
    return parser


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalog", required=True, metavar="ID", help="指标体系 ID 或 YAML 文件")
    parser.add_argument("--json", dest="json_path", metavar="PATH", help="写出 JSON 报告")
    parser.add_argument("--csv", dest="csv_path", metavar="PATH", help="写出问题清单 CSV")
    parser.add_argument("--fail-fast", action="store_true", help="遇到第一条错误即停止该文件的校验")


def cmd_catalog(args: argparse.Namespace) -> int:
    if args.action == "list":
        for cid in catalog_ids():
            loaded = load(cid)
            cat = loaded.catalog
            print(f"{cid}\t{cat.jurisdiction}\t{len(cat.indicators)} 项指标\t{cat.name}")
        return EXIT_OK
    if args.action == "show":
        loaded = load(args.id)
        document = catalog_document(loaded)
        if args.json:
            print(json.dumps(document, ensure_ascii=False, indent=2))
        else:
            print(f"{loaded.catalog.name}（{loaded.catalog.jurisdiction}，版本 {loaded.version}）")
            for ind in document["indicators"]:
                target = ind["target"]
                attr = "约束性" if ind["attribute"] == "binding" else "预期性"
                print(
                    f"  {ind['code']:<40} {ind['name']}（{ind['unit'] or '—'}） "
                    f"{target['year']}年 {target['comparator']} {target['text']}  {attr}"
                )
        return EXIT_OK
    targets = args.targets or catalog_ids()
    failed = False
    for target in targets:
        problems = lint(target)
        for problem in problems:
            print(f"{target}: {problem}")
        failed = failed or bool(problems)
        if not problems:
            print(f"{target}: 没有问题")
    return EXIT_ERRORS if failed else EXIT_OK


def catalog_document(loaded) -> dict:
    cat = loaded.catalog
    indicators = []
    for ind in cat.indicators:
        target = {
            "year": ind.target.year,
            "value": ind.target.value,
            "comparator": ind.target.comparator,
            "text": ind.target.text,
        }
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


COMMANDS = {"catalog": cmd_catalog}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except CatalogError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
