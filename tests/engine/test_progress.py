"""Progress: one plain line per change without a terminal, lines redrawn in place on one."""
from __future__ import annotations

import io

from sagelocal.engine.progress import Progress


def test_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream)
    progress.start(["A", "B"])
    progress.update("A", "Executing")
    progress.update("A", "Failed", "AlgorithmError: boom\nmore")
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\x1b" not in stream.getvalue()
    assert lines[1].startswith("[x] A") and lines[1].endswith("AlgorithmError: boom")


def test_live_display_redraws_every_step_in_place():
    stream = io.StringIO()
    progress = Progress(stream, live=True)
    progress.start(["A", "B"])
    progress.update("A", "Succeeded")
    progress.finish()
    text = stream.getvalue()
    assert "\x1b[2F" in text, "moves back up over the two step lines to redraw them"
    assert text.rstrip().splitlines()[-1].startswith("\x1b[2K[ ] B") and "[+] A" in text
