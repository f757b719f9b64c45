// On every page. A period picker shows its period as soon as one is chosen (without
// JavaScript its button does it).
document.querySelectorAll("form.period").forEach((form) => {
  const button = form.querySelector("button[type=submit]");
  if (button) button.hidden = true;
  form.querySelector("select").addEventListener("change", () => form.submit());
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
