"""``make demo`` end to end, as CI runs it (no terminal: the scripted reviewer answers in the portal)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_closes_the_loop(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--home", str(tmp_path / "home"),
                           "--port", "0"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "execution Succeeded" in out
    assert "model-package/breast-cancer-xgboost/1 (PendingManualApproval)" in out
    assert "endpoint breast-cancer-xgboost: InService" in out
    assert "sent 114 rows" in out and out.count("refused a malformed row") == 2
    assert "CompletedWithViolations" in out or "Completed" in out
    report = re.search(r"HTML report: (\S+)", out).group(1)
    assert Path(report).read_text().startswith("<!DOCTYPE html>")
    reviewed = int(re.search(r"with 0.1 < p < 0.9; started (\d+) human loops", out).group(1))
    assert reviewed > 0 and f"answered {reviewed} tasks" in out
    versions = re.search(r"auc\s+([\d.]+)\s+([\d.]+)", out)
    assert versions and all(0.9 <= float(v) <= 1 for v in versions.groups())


def test_the_demo_waits_for_people_and_make_retrain_collects_their_answers(tmp_path):
    """With a person reviewing: the demo serves the portal until stopped; the second command retrains."""
    import httpx

    home = tmp_path / "home"
    demo = subprocess.Popen([sys.executable, "-u", str(ROOT / "scripts" / "demo.py"), "--home", str(home),
                             "--port", "0", "--review", "browser"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in demo.stdout:
            lines.append(line)
            if "run `make retrain`" in line:
                break
        portal = re.search(r"Open (\S+)/portal and sign in as alice with the password (\S+)\.", "".join(lines))
        assert portal, "".join(lines)
        url, password = portal.groups()
        client = httpx.Client(base_url=url)
        csrf = re.compile(r'name="csrf" value="([^"]+)"')
        form = client.get("/portal/sign-in")
        client.post("/portal/sign-in", data={"username": "alice", "password": password,
                                             "csrf": csrf.search(form.text).group(1)})
        form = client.get("/portal/password")  # the one-time password is spent: choose one
        client.post("/portal/password", data={"password": "Chosen-passw0rd", "confirm": "Chosen-passw0rd",
                                              "csrf": csrf.search(form.text).group(1)})
        loop = re.search(r'href="/portal/tasks/([a-z0-9-]+)"', client.get("/portal/tasks").text).group(1)
        page = client.get(f"/portal/tasks/{loop}").text
        answer = '{"verdict1": {"agree": false, "correct": true}, "reason1": "looks benign to me"}'
        assert client.post(f"/portal/tasks/{loop}/submit", data={"csrf": csrf.search(page).group(1),
                                                                 "answerContent": answer}).status_code == 303
        retrain = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--retrain", "--home", str(home)],
                                 capture_output=True, text=True, timeout=300)
        assert retrain.returncode == 0, retrain.stdout + retrain.stderr
        assert "1 reviewed events (1 corrected)" in retrain.stdout
        assert re.search(r"auc\s+[\d.]+\s+[\d.]+", retrain.stdout)
        assert demo.poll() is None, "the demo keeps serving until it is stopped"
    finally:
        demo.terminate()
        demo.wait(timeout=20)


def test_make_retrain_without_a_running_demo_says_what_to_do(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--retrain", "--home", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "run `make demo` first" in done.stderr
