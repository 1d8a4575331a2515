// The form builder's live preview (issue 15): while staff fill in "Add a
// field", the field they are making is shown as the patient will see it,
// before it is added. A progressive enhancement: without a script the
// preview beside the builder shows each field once it is added. Text typed
// by staff is only ever set as text, never parsed as HTML.
(() => {
  const form = document.querySelector("[data-live-preview-form]");
  const out = document.querySelector("[data-live-preview]");
  if (!form || !out) return;
  const value = (name) => (form.elements.namedItem(name)?.value ?? "").trim();
  const el = (tag, attrs = {}, text) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const render = () => {
    const label = value("label");
    const kind = value("kind");
    out.replaceChildren();
    out.hidden = !label;
    if (!label) return;
    const required = form.elements.namedItem("required")?.checked;
    const field = el("div", { class: "field" });
    const caption = el("span", {}, label);
    if (required) caption.append(el("span", { class: "field__required" }, " (required)"));
    const help = value("help");
    const options = value("options").split("\n").map((o) => o.trim()).filter(Boolean);
    const choices = (type, list) => {
      const set = el("fieldset", { class: "field--radios", disabled: "" });
      const legend = el("legend");
      legend.append(caption);
      set.append(legend);
      if (help) set.append(el("p", { class: "field__hint" }, help));
      list.forEach((text, i) => {
        const row = el("div", { class: "choice" });
        const id = `live-${i}`;
        row.append(el("input", { type, id, name: "live" }), el("label", { for: id }, text));
        set.append(row);
      });
      return set;
    };
    if (kind === "single_choice" || kind === "multiple_choice") {
      field.append(choices(kind === "single_choice" ? "radio" : "checkbox", options.length ? options : ["…"]));
    } else if (kind === "yes_no") {
      field.append(choices("radio", ["Yes", "No"]));
    } else if (kind === "consent") {
      const row = el("div", { class: "choice" });
      const text = el("label", { for: "live-consent" });
      text.append(caption);
      row.append(el("input", { type: "checkbox", id: "live-consent", disabled: "" }), text);
      field.append(row);
    } else {
      const lab = el("label", { for: "live-input" });
      lab.append(caption);
      field.append(lab);
      if (help) field.append(el("p", { class: "field__hint" }, help));
      const types = { date: "date", phone: "tel", email: "email" };
      field.append(
        kind === "long_text"
          ? el("textarea", { id: "live-input", rows: "3", disabled: "" })
          : el("input", { id: "live-input", type: types[kind] ?? "text", disabled: "" }),
      );
    }
    out.append(el("p", { class: "muted" }, "The new field, as the patient will see it:"), field);
  };
  form.addEventListener("input", render);
  form.addEventListener("change", render);
  render();
})();
