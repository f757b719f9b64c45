// On every page. A period picker shows its period as soon as one is chosen (without
// JavaScript its button does it).
document.querySelectorAll("form.period").forEach((form) => {
  const button = form.querySelector("button[type=submit]");
  if (button) button.hidden = true;
  form.querySelector("select").addEventListener("change", () => form.submit());
});
