"""The portal in Debian's Chromium: sign in, open tasks, agree with one prediction, correct another."""
from __future__ import annotations

import json

from .conftest import make_flow, row, sign_in


def test_agree_with_one_prediction_and_correct_another(review, page):
    review.start("event-aaa", {"rows": [row("aaa", 0.83)]})
    review.start("event-bbb", {"rows": [row("bbb", 0.27)]})
    password = review.add_reviewer("alice")
    sign_in(page, review.server.url, "alice", password)
    assert page.locator("li.task").count() == 2

    page.click("a[href='/portal/tasks/event-aaa']")
    page.get_by_text("Agree: label 1").click()
    page.fill("crowd-text-area[name=reason1] textarea", "Small, smooth: benign as predicted.")
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


def test_the_walkthrough_template_accepts_answers(review, page, fixtures_dir):
    """The notebook's template, verbatim. Its text inputs repeat one name per row; our choice, named here:
    the last element in document order wins, as a plain assignment in a loop would."""
    template = (fixtures_dir / "a2i" / "breast-cancer-review-template.liquid.html").read_text()
    flow = make_flow(review.sagemaker, "walkthrough", template, review.team)
    table = '<table border="1" class="dataframe"><tr><th>mean radius</th></tr><tr><td>17.99</td></tr></table>'
    pairs = [{"row": "ROW_0", "prediction": 0.37}, {"row": "ROW_1", "prediction": 0.62}]
    review.start("walkthrough-loop", {"table": table, "Pairs": pairs}, flow_arn=flow)
    sign_in(page, review.server.url, "alice", review.add_reviewer("alice"))
    page.click("a[href='/portal/tasks/walkthrough-loop']")
    assert page.locator("#my_table td").inner_text() == "17.99"
    page.check("#agree1")
    page.check("#disagree2")
    texts = page.locator("input[name='True Prediction']")
    texts.nth(0).fill("0")
    texts.nth(1).fill("1")
    page.locator("input[name='Change Reason']").nth(1).fill("Large radius")
    page.click("crowd-form button[type=submit]")
    page.wait_for_url("**/portal/tasks?done=walkthrough-loop")
    answer = review.output("walkthrough-loop")["humanAnswers"][0]["answerContent"]
    assert answer == {"predicted1": "0.37", "rating1": {"agree": True, "disagree": False},
                      "predicted2": "0.62", "rating2": {"agree": False, "disagree": True},
                      "True Prediction": "1", "Change Reason": "Large radius"}


def test_required_radio_blocks_an_incomplete_submission(review, page):
    review.start("event-ccc", {"rows": [row("ccc", 0.5)]})
    sign_in(page, review.server.url, "alice", review.add_reviewer("alice"))
    page.click("a[href='/portal/tasks/event-ccc']")
    page.click("crowd-button button[type=submit]")
    assert page.url.endswith("/portal/tasks/event-ccc")
    assert review.a2i.describe_human_loop(HumanLoopName="event-ccc")["HumanLoopStatus"] == "InProgress"


def test_a_script_in_a_feature_value_never_runs(review, page):
    hostile = '<script>window.__ran = 1; alert("x")</script><img src=x onerror="window.__ran = 2">'
    review.start("event-evil", {"rows": [row("evil", 0.5, first_value=hostile)]})
    sign_in(page, review.server.url, "alice", review.add_reviewer("alice"))
    dialogs, errors = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.click("a[href='/portal/tasks/event-evil']")
    page.wait_for_selector("crowd-form form")
    assert page.evaluate("window.__ran") is None
    assert dialogs == [] and errors == []
    assert page.locator(".features dd").first.inner_text() == hostile


CROWD_TEMPLATE = """
<crowd-form>
  <crowd-instructions link-text="Read me"><short-summary><p>Look closely.</p></short-summary></crowd-instructions>
  <crowd-classifier name="category" categories='["benign", "malignant"]' header="Which is it?">
    <classification-target><p>{{ task.input.text }}</p></classification-target>
  </crowd-classifier>
  <crowd-checkbox name="colors" value="Red">Red</crowd-checkbox>
  <crowd-checkbox name="colors" value="Yellow">Yellow</crowd-checkbox>
  <crowd-input name="note" label="Note"></crowd-input>
  <select name="confidence"><option>low</option><option selected>high</option></select>
  <crowd-button form-action="submit">Send</crowd-button>
</crowd-form>
"""


def test_crowd_elements_submit_like_a2i(review, page):
    flow = make_flow(review.sagemaker, "elements", CROWD_TEMPLATE, review.team)
    review.start("elements-loop", {"text": "A round, smooth mass."}, flow_arn=flow)
    sign_in(page, review.server.url, "alice", review.add_reviewer("alice"))
    page.click("a[href='/portal/tasks/elements-loop']")
    assert page.get_by_text("Look closely.").is_visible()
    page.get_by_label("malignant").check()
    page.get_by_label("Red").check()
    page.fill("crowd-input[name=note] input", "second opinion")
    page.click("crowd-button button")
    page.wait_for_url("**/portal/tasks?done=elements-loop")
    assert review.output("elements-loop")["humanAnswers"][0]["answerContent"] == {
        "category": {"label": "malignant"}, "colors": {"Red": True, "Yellow": False},
        "note": "second opinion", "confidence": "high"}


# JSON turns the inner quotes into \", so the handler is an unquoted attribute value, as in the probe.
BREAKOUT = "\" autofocus onfocus=window.__ran=1 x='y' z=\""
QUOTED_TEMPLATE = """
<crowd-form>
  <input id="double" name="double" value="{{ task.input.value | to_json }}">
  <input id="single" name="single" value='{{ task.input.value | to_json }}'>
  <crowd-classifier name="label" categories="{{ task.input.labels | to_json }}" header="Pick one">
    <classification-target><p>{{ task.input.value }}</p></classification-target>
  </crowd-classifier>
  <div id="injected">{{ task.input.markup | skip_autoescape }}</div>
  <script>window.__templateScript = {{ task.input | to_json }};</script>
</crowd-form>
"""


def test_to_json_cannot_break_out_of_an_attribute_and_injected_scripts_never_run(review, page):
    """The probe: a value with a double quote ended a double-quoted attribute and its onfocus ran on load. Now the
    attributes hold the JSON itself, the template's own script runs, and script brought in by input does not."""
    flow = make_flow(review.sagemaker, "quoted", QUOTED_TEMPLATE, review.team)
    labels = ['benign "b"', "malignant 'm'"]
    task_input = {"value": BREAKOUT, "labels": labels, "markup": '<script>window.__injected = 1</script>'
                  '<img src="/nowhere" onerror="window.__injected = 2">'}
    review.start("quoted-loop", task_input, flow_arn=flow)
    sign_in(page, review.server.url, "alice", review.add_reviewer("alice"))
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.click("a[href='/portal/tasks/quoted-loop']")
    page.wait_for_selector("crowd-form form")
    page.focus("#double")
    page.focus("#single")
    assert page.evaluate("window.__ran") is None
    assert page.evaluate("window.__injected") is None and violations
    assert json.loads(page.locator("#double").get_attribute("value")) == BREAKOUT
    assert json.loads(page.locator("#single").get_attribute("value")) == BREAKOUT
    assert page.evaluate("window.__templateScript") == task_input
    page.get_by_label("malignant 'm'").check()
    page.click("crowd-form button[type=submit]")
    page.wait_for_url("**/portal/tasks?done=quoted-loop")
    answer = review.output("quoted-loop")["humanAnswers"][0]["answerContent"]
    assert answer["label"] == {"label": "malignant 'm'"} and json.loads(answer["double"]) == BREAKOUT
