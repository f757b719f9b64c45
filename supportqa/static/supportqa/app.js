// On every page. A period picker shows a chosen period at once; "Dates…" shows the two date
// fields and its button (without JavaScript, fields and button are always there).
document.querySelectorAll("form.period").forEach((form) => {
  const select = form.querySelector("select");
  const range = form.querySelector("[data-range]");
  const button = form.querySelector("button[type=submit]");
  const custom = () => select.value === "custom";
  const show = () => {
    if (range) {
      range.hidden = !custom();
      range.querySelectorAll("input").forEach((input) => { input.disabled = !custom(); });
    }
    if (button) button.hidden = !custom();
  };
  show();
  select.addEventListener("change", () => (custom() ? show() : form.submit()));
});

// A form that is on its way is not sent twice by a second click (the server also takes a
// repeated request as the first one's, for when this script does not run).
document.querySelectorAll("form[method=post]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    setTimeout(() => {
      if (event.defaultPrevented) return;
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
    });
  });
});

// A menu of the top bar closes when something else is clicked or Escape is pressed.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.open = false;
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.menu[open]").forEach((menu) => {
    menu.open = false;
    menu.querySelector("summary").focus();
  });
});
