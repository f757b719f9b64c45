// Review form: cite messages as evidence, autosave drafts and show the score so far (drafts
// only: an edit of a submitted review has no autosave and needs a reason), and keyboard
// shortcuts (? lists them). The form works without it.
(function () {
  "use strict";
  const form = document.getElementById("review-form");
  if (!form) return;
  const status = form.querySelector(".autosave");
  let active = form.querySelector("fieldset.criterion");
  let timer = null;

  function setActive(fieldset) {
    form.querySelectorAll("fieldset.criterion.active").forEach((f) => f.classList.remove("active"));
    active = fieldset;
    if (active) active.classList.add("active");
    highlight();
  }

  function evidenceOf(fieldset) {
    const input = fieldset.querySelector('input[name^="evidence-"]');
    return input.value ? input.value.split(",").filter(Boolean) : [];
  }

  function highlight() {
    const cited = active ? evidenceOf(active) : [];
    document.querySelectorAll(".msg").forEach((li) => {
      const on = cited.includes(li.dataset.seq);
      li.classList.toggle("cited", on);
      const button = li.querySelector("button.cite");
      if (button) {
        button.textContent = on ? "Cited" : "Cite";
        button.setAttribute("aria-pressed", on ? "true" : "false");
      }
    });
  }

  function toggleEvidence(seq) {
    if (!active) return;
    const input = active.querySelector('input[name^="evidence-"]');
    const cited = evidenceOf(active);
    const next = cited.includes(seq) ? cited.filter((s) => s !== seq) : cited.concat([seq]);
    next.sort((a, b) => Number(a) - Number(b));
    input.value = next.join(",");
    active.querySelector(".evidence-list").textContent = next.length ? next.map((s) => "#" + (Number(s) + 1)).join(", ") : "none";
    highlight();
    scheduleSave();
  }

  function scheduleSave(delay) {
    if (!form.dataset.autosave) return;
    clearTimeout(timer);
    status.textContent = "Unsaved changes";
    timer = setTimeout(saveDraft, typeof delay === "number" ? delay : 1200);
  }

  async function saveDraft() {
    const data = new FormData(form);
    data.set("action", "draft");
    try {
      const response = await fetch(form.dataset.autosave, {
        method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      const body = await response.json();
      status.textContent = body.ok ? "Draft saved " + new Date().toLocaleTimeString() : "Draft not saved: " + Object.values(body.errors).join("; ");
      const running = form.querySelector(".running-score");
      if (body.ok && running && body.score_html) running.innerHTML = body.score_html;
    } catch (error) {
      status.textContent = "Draft not saved (connection problem)";
    }
  }

  form.addEventListener("focusin", (event) => {
    const fieldset = event.target.closest("fieldset.criterion");
    if (fieldset) setActive(fieldset);
  });
  form.addEventListener("change", (event) => scheduleSave(event.target.type === "radio" ? 300 : 1200));
  form.addEventListener("input", (event) => { if (event.target.tagName === "TEXTAREA") scheduleSave(); });
  form.addEventListener("submit", () => clearTimeout(timer));
  document.querySelectorAll("button.cite").forEach((button) => {
    button.addEventListener("click", () => toggleEvidence(button.dataset.seq));
  });
  // --- keyboard -------------------------------------------------------------------------
  const criteria = Array.from(form.querySelectorAll("fieldset.criterion"));
  const messages = Array.from(document.querySelectorAll(".msg"));
  const dialog = document.querySelector("dialog.keys");
  let message = null;

  function pickMessage(li) {
    if (message) message.classList.remove("chosen");
    message = li;
    if (message) {
      message.classList.add("chosen");
      message.scrollIntoView({ block: "nearest" });
    }
  }

  function moveCriterion(step) {
    const next = criteria[Math.max(0, Math.min(criteria.length - 1, criteria.indexOf(active) + step))];
    const radio = next.querySelector("input[type=radio]:checked") || next.querySelector("input[type=radio]");
    if (radio) radio.focus();
    setActive(next);
    next.scrollIntoView({ block: "nearest" });
  }

  function choose(fieldset, radio) {
    if (!fieldset || !radio) return;
    radio.checked = true;
    radio.focus();
    radio.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function typing(target) {
    return target.isContentEditable || ["TEXTAREA", "SELECT"].includes(target.tagName) ||
      (target.tagName === "INPUT" && !["radio", "checkbox"].includes(target.type));
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const key = event.key;
    if (key === "?") {
      if (dialog.open) dialog.close(); else dialog.showModal();
    } else if (dialog && dialog.open) {
      return;
    } else if (key === "j" || key === "k") {
      moveCriterion(key === "j" ? 1 : -1);
    } else if (/^[1-9]$/.test(key) && active) {
      const options = active.querySelectorAll('.option:not(.na) input[type=radio]');
      choose(active, options[Number(key) - 1]);
    } else if (key === "n" && active) {
      choose(active, active.querySelector(".option.na input[type=radio]"));
    } else if (key === "]" || key === "[") {
      const at = messages.indexOf(message);
      pickMessage(messages[Math.max(0, Math.min(messages.length - 1, at + (key === "]" ? 1 : -1)))] || null);
    } else if (key === "c" && message) {
      toggleEvidence(message.dataset.seq);
    } else {
      return;
    }
    event.preventDefault();
  });
  messages.forEach((li) => li.addEventListener("click", () => pickMessage(li)));
  const opener = form.querySelector(".keys-open");
  if (opener && dialog) {
    opener.hidden = false;
    opener.addEventListener("click", () => dialog.showModal());
  }
  setActive(active);
})();
