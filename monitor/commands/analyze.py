"""`brandbot analyze`: one JSON line per input line, in order.

Analysis is pure Python, so one process uses one core. A large input (more than one batch)
is analysed in batches by worker processes, one per core, each with its own analyzer, while
this process reads, writes and keeps the order; a small one, or a terminal typing line by
line, is analysed here as it comes.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from typing import TextIO

from monitor.analysis import Analyzer, make_analyzer
from monitor.commands.common import CannotUseFile
from monitor.settings import Settings

BATCH = 1_000
_worker: Analyzer | None = None


def line_of(analyzer: Analyzer, text: str) -> str:
    """One post's analysis as a JSON line."""
    a = analyzer.analyze(text)
    return json.dumps({
        "text": text, "compound": a.sentiment.compound, "pos": a.sentiment.pos,
        "neu": a.sentiment.neu, "neg": a.sentiment.neg, "label": a.label,
        "vader_label": a.vader_label, "complaint": a.complaint,
        "complaint_probability": a.complaint_probability, "action": a.action.value,
        "escalation": [k.value for k in a.escalation],
        "impersonation": a.impersonation, "intent": a.intent,
        "priority": a.priority.value, "lang": a.lang,
        "matched_terms": list(a.matched_terms), "reasons": list(a.reasons),
    }, ensure_ascii=False) + "\n"


def _start(settings: Settings | None) -> None:
    global _worker
    _worker = make_analyzer(settings)


def _batch(texts: list[str]) -> str:
    assert _worker is not None, "not an analysis worker"
    return "".join(line_of(_worker, t) for t in texts)


def _batches(source: TextIO) -> Iterator[list[str]]:
    while batch := [line.rstrip("\n") for line in islice(source, BATCH)]:
        yield batch


def analyze_stream(source: TextIO, out: TextIO, settings: Settings | None) -> None:
    """Analyse every line of `source` into `out` (see the module docstring)."""
    workers = min(os.cpu_count() or 1, 8)
    if source.isatty() or workers < 2:
        analyzer = make_analyzer(settings)
        for line in source:
            out.write(line_of(analyzer, line.rstrip("\n")))
            if source.isatty():
                out.flush()
        return
    batches = _batches(source)
    first = next(batches, [])
    if len(first) < BATCH:  # all of it fits in one batch: no workers to start
        analyzer = make_analyzer(settings)
        out.write("".join(line_of(analyzer, t) for t in first))
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_start,
                             initargs=(settings,)) as pool:
        pending = [pool.submit(_batch, first)]
        for batch in batches:
            pending.append(pool.submit(_batch, batch))
            while len(pending) > workers * 2:  # keep memory bounded, output in order
                out.write(pending.pop(0).result())
        for future in pending:
            out.write(future.result())


def main_stream(settings: Settings | None, path: str | None) -> None:
    """Analyse a file, or standard input, to standard output. Both are read as UTF-8 with
    bytes that are not UTF-8 replaced (U+FFFD), so a bad byte costs a character, never the
    run."""
    if path:
        try:
            source = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
        except OSError as exc:
            raise CannotUseFile(path, exc, doing="read") from None
        with source:
            analyze_stream(source, sys.stdout, settings)
    else:
        stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
        analyze_stream(stdin, sys.stdout, settings)
