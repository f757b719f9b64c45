// Review form: cite messages as evidence and autosave drafts (drafts only: an edit of a
// submitted review has no autosave and needs a reason). The form works without it.
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

  function scheduleSave() {
    if (!form.dataset.autosave) return;
    clearTimeout(timer);
    status.textContent = "Unsaved changes";
    timer = setTimeout(saveDraft, 1200);
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
    } catch (error) {
      status.textContent = "Draft not saved (connection problem)";
    }
  }

  form.addEventListener("focusin", (event) => {
    const fieldset = event.target.closest("fieldset.criterion");
    if (fieldset) setActive(fieldset);
  });
  form.addEventListener("change", scheduleSave);
  form.addEventListener("input", (event) => { if (event.target.tagName === "TEXTAREA") scheduleSave(); });
  form.addEventListener("submit", () => clearTimeout(timer));
  document.querySelectorAll("button.cite").forEach((button) => {
    button.addEventListener("click", () => toggleEvidence(button.dataset.seq));
  });
  setActive(active);
})();
