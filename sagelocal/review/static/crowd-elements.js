// Local implementation of the crowd-html-elements that A2I worker templates use.
// Elements render native controls in the light DOM, so the browser's own validation (required) applies.
// On submit, crowd-form gathers answerContent as A2I does and posts it through the portal's form:
//   crowd-input / crowd-text-area / native text, number, select, textarea  -> "name": "value"
//   crowd-checkbox, crowd-radio-button, native checkbox and radio           -> "name": {"value": checked, ...}
//     (buttons sharing a name merge into one object; without a value attribute the key is "on")
//   crowd-classifier                                                         -> "name": {"label": "chosen"}
// Repeated names of text values: the last element in document order wins, as a plain assignment would.
(function () {
  "use strict";
  let unique = 0;
  const nextId = (prefix) => `${prefix}-${++unique}`;

  function once(element, build) {
    if (element.dataset.crowdReady) return;
    element.dataset.crowdReady = "1";
    build();
  }

  function labelled(text, control) {
    const label = document.createElement("label");
    label.className = "crowd-label";
    if (text) label.append(document.createTextNode(text));
    label.append(control);
    return label;
  }

  class CrowdInput extends HTMLElement {
    connectedCallback() {
      once(this, () => {
        const input = document.createElement("input");
        input.type = this.getAttribute("type") || "text";
        for (const name of ["placeholder", "min", "max", "step", "pattern", "maxlength"]) {
          if (this.hasAttribute(name)) input.setAttribute(name, this.getAttribute(name));
        }
        input.value = this.getAttribute("value") || "";
        input.required = this.hasAttribute("required");
        input.disabled = this.hasAttribute("disabled");
        input.dataset.crowdValue = "1";
        this.append(labelled(this.getAttribute("label"), input));
      });
    }
    get value() { return this.querySelector("input").value; }
  }

  class CrowdTextArea extends HTMLElement {
    connectedCallback() {
      once(this, () => {
        const area = document.createElement("textarea");
        area.rows = Number(this.getAttribute("rows") || 3);
        if (this.hasAttribute("placeholder")) area.placeholder = this.getAttribute("placeholder");
        if (this.hasAttribute("max-length")) area.maxLength = Number(this.getAttribute("max-length"));
        area.value = this.getAttribute("value") || "";
        area.required = this.hasAttribute("required");
        area.disabled = this.hasAttribute("disabled");
        this.append(labelled(this.getAttribute("label"), area));
      });
    }
    get value() { return this.querySelector("textarea").value; }
  }

  class CrowdCheckbox extends HTMLElement {
    connectedCallback() {
      once(this, () => {
        const box = document.createElement("input");
        box.type = "checkbox";
        box.checked = this.hasAttribute("checked");
        box.required = this.hasAttribute("required");
        box.disabled = this.hasAttribute("disabled");
        const text = this.textContent.trim();
        this.textContent = "";
        const label = labelled("", box);
        label.append(document.createTextNode(" " + text));
        this.append(label);
      });
    }
    get checked() { return this.querySelector("input").checked; }
  }

  class CrowdRadioGroup extends HTMLElement {
    connectedCallback() {
      once(this, () => {
        this.dataset.group = nextId("crowd-radio");
        this.setAttribute("role", "radiogroup");
      });
    }
  }

  class CrowdRadioButton extends HTMLElement {
    connectedCallback() {
      once(this, () => {
        const group = this.closest("crowd-radio-group");
        const radio = document.createElement("input");
        radio.type = "radio";
        // Native radios group by name; one crowd-radio-group is one native group.
        radio.name = group ? (group.dataset.group || (group.dataset.group = nextId("crowd-radio"))) : nextId("crowd-radio");
        radio.checked = this.hasAttribute("checked");
        radio.required = !!(group && group.hasAttribute("required"));
        radio.disabled = this.hasAttribute("disabled");
        const text = this.textContent.trim();
        this.textContent = "";
        const label = labelled("", radio);
        label.append(document.createTextNode(" " + text));
        this.append(label);
      });
    }
    get checked() { return this.querySelector("input").checked; }
  }

  class CrowdClassifier extends HTMLElement {
    connectedCallback() {
      once(this, () => {
        let categories = [];
        try { categories = JSON.parse(this.getAttribute("categories") || "[]"); } catch (error) { categories = []; }
        const slots = {};
        for (const child of Array.from(this.children)) {
          slots[child.localName] = child;
          child.remove();
        }
        const wrap = document.createElement("div");
        wrap.className = "crowd-classifier";
        if (this.hasAttribute("header")) {
          const header = document.createElement("h3");
          header.textContent = this.getAttribute("header");
          wrap.append(header);
        }
        for (const part of ["classification-target", "short-instructions", "full-instructions"]) {
          if (slots[part]) wrap.append(slots[part]);
        }
        const group = nextId("crowd-classifier");
        const choices = document.createElement("div");
        choices.className = "crowd-choices";
        for (const category of categories) {
          const radio = document.createElement("input");
          radio.type = "radio";
          radio.name = group;
          radio.value = String(category);
          radio.required = true;
          const label = labelled("", radio);
          label.append(document.createTextNode(" " + category));
          choices.append(label);
        }
        wrap.append(choices);
        this.append(wrap);
      });
    }
    get label() {
      const chosen = this.querySelector("input[type=radio]:checked");
      return chosen ? chosen.value : null;
    }
  }

  class CrowdInstructions extends HTMLElement {
    connectedCallback() {
      once(this, () => {
        const details = document.createElement("details");
        details.className = "crowd-instructions";
        details.open = true;
        const summary = document.createElement("summary");
        summary.textContent = this.getAttribute("link-text") || "Instructions";
        details.append(summary);
        for (const child of Array.from(this.children)) details.append(child);
        this.append(details);
      });
    }
  }

  class CrowdButton extends HTMLElement {
    connectedCallback() {
      once(this, () => {
        const button = document.createElement("button");
        button.type = this.getAttribute("form-action") === "submit" ? "submit" : "button";
        button.className = this.getAttribute("variant") === "primary" || button.type === "submit" ? "primary" : "";
        button.disabled = this.hasAttribute("disabled");
        button.textContent = this.textContent.trim() || "Submit";
        this.textContent = "";
        this.append(button);
      });
    }
  }

  function mergeFlag(answer, name, key, checked) {
    const current = answer[name];
    answer[name] = Object.assign(current && typeof current === "object" ? current : {}, { [key]: checked });
  }

  const CROWD = "crowd-input, crowd-text-area, crowd-checkbox, crowd-radio-button, crowd-classifier";

  // answerContent from every named control inside the form, in document order.
  function collect(form) {
    const answer = {};
    for (const element of form.querySelectorAll(`${CROWD}, input, textarea, select`)) {
      const tag = element.localName;
      if (!tag.startsWith("crowd-") && element.closest(CROWD)) continue; // drawn by a crowd element
      const name = element.getAttribute("name");
      if (!name) continue;
      if (tag === "crowd-checkbox" || tag === "crowd-radio-button") {
        mergeFlag(answer, name, element.getAttribute("value") || "on", element.checked);
      } else if (tag === "crowd-classifier") {
        answer[name] = { label: element.label };
      } else if (tag === "input" && (element.type === "checkbox" || element.type === "radio")) {
        mergeFlag(answer, name, element.getAttribute("value") || "on", element.checked);
      } else if (tag !== "input" || !["submit", "button", "reset", "image", "file"].includes(element.type)) {
        answer[name] = element.value;
      }
    }
    return answer;
  }

  class CrowdForm extends HTMLElement {
    connectedCallback() {
      once(this, () => {
        const form = document.createElement("form");
        form.className = "crowd-form";
        while (this.firstChild) form.append(this.firstChild);
        if (!form.querySelector("crowd-button[form-action=submit], button[type=submit], input[type=submit]")) {
          const submit = document.createElement("crowd-button");
          submit.setAttribute("form-action", "submit");
          submit.textContent = "Submit";
          const row = document.createElement("div");
          row.className = "crowd-submit";
          row.append(submit);
          form.append(row);
        }
        form.addEventListener("submit", (event) => {
          event.preventDefault();
          if (!form.reportValidity()) return;
          const portal = document.getElementById("portal-submit");
          portal.elements.answerContent.value = JSON.stringify(collect(form));
          for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = true;
          portal.submit();
        });
        this.append(form);
      });
    }
  }

  // Inner elements first, so crowd-form moves already-drawn controls.
  customElements.define("crowd-input", CrowdInput);
  customElements.define("crowd-text-area", CrowdTextArea);
  customElements.define("crowd-checkbox", CrowdCheckbox);
  customElements.define("crowd-radio-group", CrowdRadioGroup);
  customElements.define("crowd-radio-button", CrowdRadioButton);
  customElements.define("crowd-classifier", CrowdClassifier);
  customElements.define("crowd-instructions", CrowdInstructions);
  customElements.define("crowd-button", CrowdButton);
  customElements.define("crowd-form", CrowdForm);

  // Time left on the task, from the deadline the portal sends (epoch seconds).
  const deadline = document.querySelector("[data-deadline]");
  if (deadline) {
    const end = Number(deadline.dataset.deadline) * 1000;
    const clock = document.createElement("span");
    clock.className = "clock";
    deadline.prepend(clock);
    const tick = () => {
      const left = Math.max(0, Math.round((end - Date.now()) / 1000));
      clock.textContent = `Time left: ${Math.floor(left / 60)} min ${String(left % 60).padStart(2, "0")} s · `;
    };
    tick();
    setInterval(tick, 1000);
  }
})();
