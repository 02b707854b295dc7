"""Progress of long work goes to stderr when it is a terminal, and nowhere otherwise."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import time

from groupaudit.cli import main
from groupaudit.cli._progress import CLEAR, Progress
from groupaudit.loading import load_snapshot
from groupaudit.local.peers.slack import TOKEN, SlackPeer
from kit import ROOT, TENANT

SLACK_EXPORT = ROOT.parent / "shared" / "data" / "slack-export-sample"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(argv: list[str], *, terminal: bool) -> tuple[int, bytes, bytes]:
    """`groupaudit ARGV` as a process: stdout a pipe; stderr a pty (terminal) or a pipe."""
    command = [sys.executable, "-m", "groupaudit.cli", *argv]
    if not terminal:
        done = subprocess.run(command, capture_output=True, check=False, timeout=120)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=follower) as process:
        os.close(follower)
        err = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            err += chunk
        assert process.stdout is not None  # stdout=PIPE
        out = process.stdout.read()
        status = process.wait(timeout=120)
    os.close(leader)
    return status, out, err


def test_audit_all_shows_progress_on_a_terminal_and_none_on_a_pipe():
    argv = ["audit-all", str(TENANT), "--format", "json"]
    # WHEN the tenant is audited with stderr a terminal, then with stderr a pipe
    on_terminal = _run(argv, terminal=True)
    on_pipe = _run(argv, terminal=False)
    # THEN on the terminal stderr shows the step and ends with what was done
    status, out, err = on_terminal
    text = err.decode()
    assert status == 0
    assert "audit-all: auditing 7 snapshot(s) of" in text
    assert "\x1b[K" in text  # the line is redrawn in place
    last = text.rstrip().split("\x1b[K")[-1]  # (a pty ends lines with \r\n)
    assert last.startswith("audit-all: 7 group(s) audited, 30 finding(s) in ")
    # AND on a pipe stderr is empty; stdout is the same JSON either way
    assert on_pipe[0] == 0 and on_pipe[2] == b""
    assert out.count(b'"group_id"') == on_pipe[1].count(b'"group_id"') == 7


def test_import_shows_progress_on_a_terminal_and_none_on_a_pipe(tmp_path):
    argv = ["import", "slack-export", str(SLACK_EXPORT), "--taken-at", "2016-03-01T00:00:00+00:00"]
    status, out, err = _run([*argv, "--out", str(tmp_path / "tty")], terminal=True)
    assert status == 0
    assert "import: reading " in err.decode()
    assert "import: 2 snapshot(s) written in " in err.decode()
    status, piped_out, piped_err = _run([*argv, "--out", str(tmp_path / "pipe")], terminal=False)
    assert status == 0 and b"import:" not in piped_err
    assert out.replace(b"/tty/", b"/") == piped_out.replace(b"/pipe/", b"/")


def test_pull_shows_progress_only_when_stderr_is_a_terminal(tmp_path, monkeypatch, capsys):
    # GIVEN the sample sales group in a Slack peer, the token in the environment
    snapshot = load_snapshot(TENANT / "snapshots" / "sales.json")
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    with SlackPeer.from_snapshot(snapshot) as peer:
        argv = [
            "pull",
            "slack",
            snapshot.group.id,
            "--base-url",
            peer.api_url,
            "--now",
            "2026-11-20T18:00:00+08:00",
        ]
        # WHEN pulled with stderr a terminal
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        assert main([*argv, "--out", str(tmp_path / "a.json")]) == 0
        monkeypatch.undo()
        monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
        # AND with stderr not one (pytest's capture)
        assert main([*argv, "--out", str(tmp_path / "b.json")]) == 0
    # THEN the terminal got the step and the summary; the capture got nothing
    shown = terminal.getvalue()
    assert f"pull: slack {snapshot.group.id}, 180 days" in shown
    members = len(snapshot.members or ())
    assert f"pull: {members} members, " in shown
    assert capsys.readouterr().err == ""


def test_progress_redraws_while_a_step_runs_and_is_silent_off_a_terminal():
    # GIVEN a terminal and a plain stream
    terminal, plain = Terminal(), io.StringIO()
    for stream in (terminal, plain):
        with Progress("work", stream, interval_s=0.01) as progress:
            progress.step("step 1/2")
            time.sleep(0.1)
            progress.done("2 things done")
    # THEN the terminal saw the step redrawn several times, then the summary on its own line
    shown = terminal.getvalue()
    assert shown.count(f"{CLEAR}work: step 1/2 … ") >= 3
    assert shown.endswith("\n") and shown.split(CLEAR)[-1].startswith("work: 2 things done in 0.")
    # AND the plain stream got nothing at all
    assert plain.getvalue() == ""


def test_an_error_clears_the_progress_line(tmp_path):
    terminal = Terminal()
    try:
        with Progress("work", terminal, interval_s=0.01) as progress:
            progress.step("reading")
            raise ValueError("boom")
    except ValueError:
        pass
    assert terminal.getvalue().endswith(CLEAR)
