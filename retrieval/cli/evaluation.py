"""Quality: `eval` (retrieval on a BEIR folder) and `eval-qa` (answers on a JSONL of questions)."""

from __future__ import annotations

from pathlib import Path

import click

from .app import Context, cli, pass_ctx
from .output import echo, echo_json, friendly


@cli.command(name="eval")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--split", default="test", show_default=True, help="Which qrels/<split>.tsv to score.")
@click.option("--whole-documents", is_flag=True, help="Index each document as one passage, to compare.")
@click.option("--k1", type=float, help="Override BM25 k1.")
@click.option("--b", type=float, help="Override BM25 b.")
@click.option("--passage-words", type=int, help="Override the passage size bound.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@friendly
def eval_(ctx: Context, folder: Path, split: str, whole_documents: bool, k1: float | None, b: float | None,
          passage_words: int | None, as_json: bool) -> None:
    """Retrieval quality on a BEIR folder: nDCG@10, Recall@100, MRR@10, queries/s."""
    from ..evaluate import run_beir

    overrides = {k: v for k, v in (("k1", k1), ("b", b), ("passage_words", passage_words)) if v is not None}
    result = run_beir(folder, ctx.settings.with_(**overrides), split, whole_documents, show_progress=not as_json)
    if as_json:
        echo_json(result)
        return
    for key, value in result.items():
        echo(f"{key}: {value}")


@cli.command(name="eval-qa")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
@friendly
def eval_qa(ctx: Context, file: Path, as_json: bool) -> None:
    """Answer quality on a JSONL of {"q": ..., "answers": [...]} ([] = must say not found)."""
    from ..evaluate import run_qa

    report = run_qa(file, ctx.corpus).as_dict()
    if as_json:
        echo_json(report)
        return
    for failure in report["failures"]:
        kind = f"[{failure['kind']}] " if failure.get("kind") else ""
        echo(f"FAIL {kind}{failure['q']!r}: expected {failure['expected']}, got {failure['got']!r}")
        if failure.get("first_snippet"):
            echo(f"     first cited ({failure['first_source']}): {failure['first_snippet'][:200]!r}")
    rows = [("all", report)] + list(report.get("kinds", {}).items())
    for name, c in rows:
        answerable = c["answerable"] or 1
        unanswerable = c["unanswerable"] or 1
        echo(f"{name}: short answer right {c['answer_right']}/{c['answerable']} "
                   f"({c['answer_right'] / answerable:.0%}), answer or first snippet "
                   f"{c['answer_or_snippet_right']}/{c['answerable']} ({c['answer_or_snippet_right'] / answerable:.0%}), "
                   f"first snippet {c['snippet_right']}/{c['answerable']}, top 3 {c['top3_right']}/{c['answerable']}, "
                   f"not-found right {c['not_found_right']}/{c['unanswerable']} "
                   f"({c['not_found_right'] / unanswerable:.0%})")
