// Signature pads (the visit log's patient signature, an intake form's
// signature): a progressive enhancement. Without a script the pad stays
// hidden and the typed name is the signature; with one, strokes are drawn
// as points in a 300 × 120 box and kept in the form's hidden field as JSON
// (the server checks and stores them).
(() => {
  for (const pad of document.querySelectorAll("[data-signature]")) {
    const field = pad.querySelector(`input[name="${pad.dataset.signature}"]`);
    const area = pad.querySelector(".signature-pad__area");
    const canvas = pad.querySelector("canvas");
    const ctx = canvas.getContext("2d");
    let strokes = [];
    try {
      strokes = JSON.parse(field.value || "[]");
    } catch {
      strokes = [];
    }
    area.hidden = false;
    const draw = () => {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.lineWidth = 2;
      ctx.lineCap = "round";
      for (const s of strokes) {
        ctx.beginPath();
        s.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
        ctx.stroke();
      }
    };
    const point = (ev) => {
      const r = canvas.getBoundingClientRect();
      const x = Math.round(((ev.clientX - r.left) / r.width) * 300);
      const y = Math.round(((ev.clientY - r.top) / r.height) * 120);
      return [Math.min(300, Math.max(0, x)), Math.min(120, Math.max(0, y))];
    };
    let drawing = false;
    canvas.addEventListener("pointerdown", (ev) => {
      drawing = true;
      canvas.setPointerCapture(ev.pointerId);
      strokes.push([point(ev)]);
      draw();
    });
    canvas.addEventListener("pointermove", (ev) => {
      if (!drawing) return;
      const s = strokes[strokes.length - 1];
      if (s.length < 2000) s.push(point(ev));
      draw();
    });
    const end = () => {
      if (!drawing) return;
      drawing = false;
      field.value = JSON.stringify(strokes.slice(0, 200));
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    pad.querySelector("[data-clear]").addEventListener("click", () => {
      strokes = [];
      field.value = "";
      draw();
    });
    draw();
  }
})();
