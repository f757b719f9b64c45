// The scorecard builder. The page works without this script (each button posts the draft and
// the server answers with the edited draft); with it, the preview follows every change, Enter
// in a field does not reload the page, leaving with unsaved changes asks first, and after an
// edit the part that changed is brought into view.
const form = document.getElementById("builder");
if (form) {
  const focus = form.dataset.focus && document.getElementById(form.dataset.focus);
  if (focus) {
    focus.scrollIntoView({ block: "center" });
    focus.focus({ preventScroll: true });
  }
  const body = form.querySelector("[data-preview-body]");
  let timer = null;
  let latest = 0;
  let changed = form.dataset.changed === "true";  // a posted draft is not saved yet
  let leaving = false;
  const refresh = async () => {
    const data = new FormData(form);
    data.set("op", "preview");
    const asked = ++latest;
    try {
      const response = await fetch(window.location.pathname + form.dataset.preview, {
        method: "POST",
        body: data,
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      if (response.ok && asked === latest) body.innerHTML = await response.text();
    } catch (error) {
      // Offline for a moment: the "Update the preview" button still works.
    }
  };
  const later = () => {
    changed = true;
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  };
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("input:not([type=checkbox])")) {
      event.preventDefault();  // the preview follows anyway; Save is a button
      refresh();
    }
  });
  form.addEventListener("submit", () => { leaving = true; });
  window.addEventListener("beforeunload", (event) => {
    if (changed && !leaving) event.preventDefault();
  });
}
