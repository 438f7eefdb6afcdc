// The effect chain as a rack: each effect a row of labelled sliders with its unit and range (from the API's
// effect specs), bypass, move up/down, remove, EQ bands, and presets loaded into the rack to tweak.
// The chain's JSON exists only in the request the page sends.
"use strict";

(function () {
  const pretty = (name) => name.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());
  const LABELS = { freq_hz: "Frequency", gain_db: "Gain", q: "Q", room_size: "Room size", wet_level: "Wet", dry_level: "Dry",
    tail_seconds: "Tail", threshold_db: "Threshold", ratio: "Ratio", attack_ms: "Attack", release_ms: "Release",
    makeup_db: "Make-up gain", ceiling_db: "Ceiling", delay_seconds: "Delay time", rate_hz: "Rate", centre_delay_ms: "Centre delay",
    drive_db: "Drive", output_db: "Output", cutoff_hz: "Cutoff", poles: "Slope" };
  const label = (name) => LABELS[name] || pretty(name);
  const isLog = (spec) => spec.unit === "Hz" && spec.min > 0 && spec.max / spec.min >= 50;

  function fmt(spec, v) {
    if (spec.unit === "ratio") return `${Math.round(v * 100)} %`;
    if (spec.unit === "x 6 dB/oct") return `${v * 6} dB/oct`;
    if (spec.unit === "Hz") return v >= 1000 ? `${(v / 1000).toFixed(v >= 10000 ? 1 : 2)} kHz` : `${v >= 10 ? Math.round(v) : Number(v.toPrecision(2))} Hz`;  // a 0.4 Hz chorus rate is not "0 Hz"
    const digits = spec.type === "int" ? 0 : Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
    return `${Number(v).toFixed(digits)}${spec.unit ? (spec.unit.startsWith(":") ? spec.unit : " " + spec.unit) : ""}`;
  }

  // A slider for one numeric parameter; logarithmic for frequencies. Returns [element, getValue].
  function slider(name, spec, value) {
    const wrap = document.createElement("label");
    wrap.className = "control";
    const title = document.createElement("span");
    title.textContent = `${label(name)} (${fmt(spec, spec.min)} to ${fmt(spec, spec.max)})`;
    if (spec.doc) title.title = spec.doc;
    const input = document.createElement("input");
    input.type = "range";
    input.dataset.param = name;
    const out = document.createElement("output");
    const log = isLog(spec);
    if (log) { input.min = "0"; input.max = "1000"; input.step = "1"; }
    else { input.min = spec.min; input.max = spec.max; input.step = spec.type === "int" ? 1 : (spec.max - spec.min) / 200; }
    // A value set from a preset or a default is rendered exactly as given (400 Hz, not the 400.9 its slider
    // step lands on) until the musician moves the slider.
    let exact = null;
    const fromSlider = () => {
      if (!log) return spec.type === "int" ? Math.round(Number(input.value)) : Number(input.value);
      const v = spec.min * Math.pow(spec.max / spec.min, Number(input.value) / 1000);
      return Math.round(v * 10) / 10;
    };
    const toValue = () => (exact !== null ? exact : fromSlider());
    const set = (v) => {
      v = Number.isFinite(Number(v)) ? Number(v) : spec.default;  // a stored or preset value that is no number
      v = Math.min(spec.max, Math.max(spec.min, v));
      exact = spec.type === "int" ? Math.round(v) : v;
      input.value = log ? String(1000 * Math.log(v / spec.min) / Math.log(spec.max / spec.min)) : String(v);
      out.textContent = fmt(spec, toValue());
    };
    input.addEventListener("input", () => { exact = null; out.textContent = fmt(spec, toValue()); });
    set(value === undefined ? spec.default : value);
    input.setAttribute("aria-label", label(name));
    wrap.append(title, input, out);
    return [wrap, toValue];
  }

  function choice(name, spec, value) {
    const wrap = document.createElement("label");
    wrap.className = "control";
    const title = document.createElement("span");
    title.textContent = label(name);
    const select = document.createElement("select");
    spec.choices.forEach((c) => { const o = document.createElement("option"); o.value = c; o.textContent = pretty(c); select.appendChild(o); });
    select.value = value || spec.default;
    wrap.append(title, select);
    return [wrap, () => select.value];
  }

  function paramsBlock(specs, values) {
    const box = document.createElement("div");
    box.className = "fx-params";
    const getters = {};
    Object.entries(specs).forEach(([name, spec]) => {
      if (spec.type === "bands") return;
      const [el, get] = spec.type === "choice" ? choice(name, spec, values[name]) : slider(name, spec, values[name]);
      getters[name] = get;
      box.appendChild(el);
    });
    return [box, () => Object.fromEntries(Object.entries(getters).map(([k, g]) => [k, g()]))];
  }

  function Rack(root, specs) {
    const items = [];
    if (!root.hasAttribute("tabindex")) root.tabIndex = -1;  // somewhere for focus to go when the last effect goes

    function render() {
      root.innerHTML = "";
      items.forEach((item, i) => {
        item.el.querySelector(".fx-index").textContent = `${i + 1}.`;
        item.el.querySelector(".fx-up").disabled = i === 0;
        item.el.querySelector(".fx-down").disabled = i === items.length - 1;
        root.appendChild(item.el);
      });
      root.dispatchEvent(new Event("change"));
    }

    function add(type, values = {}) {
      const spec = specs[type];
      if (!spec) return;
      const el = document.createElement("div");
      el.className = "fx";
      el.dataset.type = type;
      el.innerHTML = '<div class="fx-head"><span class="fx-index muted"></span><strong></strong>' +
        '<label class="inline small"><input type="checkbox" class="fx-on" checked> on</label>' +
        '<button type="button" class="fx-up" title="Move up" aria-label="Move up">↑</button>' +
        '<button type="button" class="fx-down" title="Move down" aria-label="Move down">↓</button>' +
        '<button type="button" class="fx-remove" title="Remove" aria-label="Remove">✕</button></div>';
      el.querySelector("strong").textContent = pretty(type);
      // Named after the effect: a screen reader going through the rack otherwise hears "Remove" once per effect.
      const what = type.replaceAll("_", " ");
      [[".fx-up", `Move ${what} up`], [".fx-down", `Move ${what} down`], [".fx-remove", `Remove ${what}`]].forEach(([sel, name]) => {
        const b = el.querySelector(sel); b.setAttribute("aria-label", name); b.title = name;
      });
      const [params, getParams] = paramsBlock(spec, values);
      el.appendChild(params);
      const item = { el, type, getParams, bands: null };
      if (spec.bands) {
        const bandsBox = document.createElement("div");
        const bands = [];
        const addBand = (v = {}) => {
          const row = document.createElement("div");
          row.className = "fx-band";
          const [block, get] = paramsBlock(spec.bands.items, v);
          const remove = document.createElement("button");
          remove.type = "button"; remove.className = "link small"; remove.textContent = "remove band";
          const band = { row, get };
          remove.addEventListener("click", () => { bands.splice(bands.indexOf(band), 1); row.remove(); });
          row.append(block, remove);
          bands.push(band);
          bandsBox.appendChild(row);
        };
        (values.bands && values.bands.length ? values.bands : [{}]).forEach(addBand);
        const more = document.createElement("button");
        more.type = "button"; more.className = "small"; more.textContent = "Add band";
        more.addEventListener("click", () => { if (bands.length < (spec.bands.max_items || 16)) addBand(); });
        el.append(bandsBox, more);
        item.bands = bands;
      }
      const on = el.querySelector(".fx-on");
      on.checked = values.enabled !== false;
      on.addEventListener("change", () => el.classList.toggle("off", !on.checked));
      el.classList.toggle("off", !on.checked);
      on.setAttribute("aria-label", `${what} on`);
      el.querySelector(".fx-remove").addEventListener("click", () => {
        const i = items.indexOf(item);
        items.splice(i, 1); render();
        // Re-rendering takes the focused button out of the page: hand focus to the neighbour, or the rack.
        const next = items[i] || items[i - 1];
        if (next) next.el.querySelector(".fx-remove").focus(); else root.focus();
      });
      el.querySelector(".fx-up").addEventListener("click", () => move(item, -1));
      el.querySelector(".fx-down").addEventListener("click", () => move(item, 1));
      item.on = on;
      items.push(item);
      render();
    }

    function move(item, d) {
      const i = items.indexOf(item), j = i + d;
      if (j < 0 || j >= items.length) return;
      [items[i], items[j]] = [items[j], items[i]];
      render();
      // Focus follows the moved effect (its other arrow once it reaches the end of the chain).
      const [same, other] = d < 0 ? [".fx-up", ".fx-down"] : [".fx-down", ".fx-up"];
      const btn = item.el.querySelector(same);
      (btn.disabled ? item.el.querySelector(other) : btn).focus();
    }

    return {
      add,
      load(chain) { items.length = 0; (chain || []).forEach((e) => { const { type, ...v } = e; add(type, v); }); render(); },
      clear() { items.length = 0; render(); },
      chain() {
        return items.map((it) => ({ type: it.type, ...it.getParams(), ...(it.bands ? { bands: it.bands.map((b) => b.get()) } : {}),
          ...(it.on.checked ? {} : { enabled: false }) }));
      },
      get length() { return items.length; },
    };
  }

  window.EffectsRack = Rack;
})();
