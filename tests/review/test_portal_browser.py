"""The portal in Debian's Chromium: sign in, open tasks, agree with one prediction, correct another."""
from __future__ import annotations

import json

from .conftest import make_flow, row, sign_in

SCREENSHOTS = "screenshots"


def test_agree_with_one_prediction_and_correct_another(review, page, tmp_path):
    review.start("event-aaa", {"rows": [row("aaa", 0.83)]})
    review.start("event-bbb", {"rows": [row("bbb", 0.27)]})
    password = review.add_reviewer("alice")
    sign_in(page, review.server.url, "alice", password)
    assert page.locator("li.task").count() == 2

    page.click("a[href='/portal/tasks/event-aaa']")
    page.get_by_text("Agree: label 1").click()
    page.fill("crowd-text-area[name=reason1] textarea", "Small, smooth: benign as predicted.")
    page.screenshot(path=str(tmp_path / "task.png"), full_page=True)
    page.click("crowd-button button[type=submit]")
    page.wait_for_url("**/portal/tasks?done=event-aaa")
    assert page.locator("li.task").count() == 1

    page.click("a[href='/portal/tasks/event-bbb']")
    page.get_by_text("Correct it: label 1").click()
    page.fill("crowd-text-area[name=reason1] textarea", "Texture is normal; I read it as benign.")
    page.click("crowd-button button[type=submit]")
    page.wait_for_url("**/portal/tasks?done=event-bbb")

    agreed, corrected = review.output("event-aaa"), review.output("event-bbb")
    assert agreed["humanAnswers"][0]["answerContent"] == {
        "verdict1": {"agree": True, "correct": False}, "reason1": "Small, smooth: benign as predicted."}
    assert corrected["humanAnswers"][0]["answerContent"] == {
        "verdict1": {"agree": False, "correct": True}, "reason1": "Texture is normal; I read it as benign."}
    assert corrected["inputContent"] == {"rows": [row("bbb", 0.27)]}
    assert review.a2i.describe_human_loop(HumanLoopName="event-bbb")["HumanLoopStatus"] == "Completed"
