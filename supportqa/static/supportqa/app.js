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

// Tabs (ARIA tabs pattern): without this script every panel shows, one under the other, each
// with its own heading; with it, one panel at a time and the arrow keys move between tabs.
document.querySelectorAll("[data-tabs]").forEach((box) => {
  const list = box.querySelector("[role=tablist]");
  const tabs = [...list.querySelectorAll("[role=tab]")];
  if (tabs.length === 0) return;
  const choose = (chosen, focus) => {
    tabs.forEach((tab) => {
      const on = tab === chosen;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
    });
    if (focus) chosen.focus();
  };
  list.hidden = false;
  box.classList.add("tabs-on");
  choose(tabs.find((tab) => tab.getAttribute("aria-selected") === "true") || tabs[0], false);
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => choose(tab, false));
    tab.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      choose(tabs[(moves[event.key] + tabs.length) % tabs.length], true);
    });
  });
});
