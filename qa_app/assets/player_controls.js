// The call page's player controls (qa_app/player_controls.py): speech/silence bars per speaker with the
// flagged moments, the line being played highlighted in the transcript, keyboard shortcuts, and seeking by a
// click on a bar or a line, all in the browser, without a rerun. The <audio> element is Streamlit's own
// (st.audio in the sticky container "call_player"), fed the session's data: URL.
const state = window.__callqaPlayer || (window.__callqaPlayer = { data: null, bound: false, active: null });

function audio() {
  return document.querySelector(".st-key-call_player audio");
}

function line(idx) {
  return document.querySelector(".st-key-line_" + idx);
}

function segments() {
  return (state.data && state.data.segments) || [];
}

// The line that holds moment ``t`` (the one a play button asked for while near it: playback starts a
// second early for context, and that second belongs to the line before).
function activeAt(t) {
  const asked = state.asked;
  if (asked && t >= asked.start - 1.5 && t <= asked.end + 0.3) return asked.idx;
  let found = null;
  for (const s of segments()) {
    if (s.start <= t + 0.05 && t < s.end) found = s.idx;
  }
  return found;
}

function scrollIntoTranscript(el) {
  const box = el.closest(".st-key-transcript");
  if (!box) return;
  let scroller = el.parentElement;
  while (scroller && scroller !== box.parentElement) {
    const style = getComputedStyle(scroller);
    if (/(auto|scroll)/.test(style.overflowY) && scroller.scrollHeight > scroller.clientHeight) break;
    scroller = scroller.parentElement;
  }
  if (!scroller || scroller === box.parentElement) return;
  const outer = scroller.getBoundingClientRect();
  const inner = el.getBoundingClientRect();
  if (inner.top < outer.top || inner.bottom > outer.bottom) {
    scroller.scrollTop += inner.top - outer.top - outer.height / 3;
  }
}

function highlight(idx) {
  if (idx === state.active && (idx === null || (line(idx) && line(idx).classList.contains("callqa-playing")))) return;
  document.querySelectorAll(".callqa-playing").forEach((el) => el.classList.remove("callqa-playing"));
  state.active = idx;
  if (idx === null) return;
  const el = line(idx);
  if (!el) return;
  el.classList.add("callqa-playing");
  scrollIntoTranscript(el);
}

function tick() {
  const a = audio();
  if (!a || !state.data) return;
  const t = a.currentTime || 0;
  highlight(activeAt(t));
  const head = document.querySelector(".callqa-bars .callqa-playhead");
  const duration = state.data.duration || a.duration || 0;
  if (head && duration > 0) head.style.left = Math.min(100, (100 * t) / duration) + "%";
}

function seek(seconds, play) {
  const a = audio();
  if (!a) return;
  state.asked = null;
  a.currentTime = Math.max(0, seconds);
  if (play) a.play().catch(() => {});
  tick();
}

function goToLine(step) {
  const a = audio();
  if (!a) return;
  const all = segments();
  if (!all.length) return;
  const t = a.currentTime || 0;
  const current = state.active === null ? -1 : all.findIndex((s) => s.idx === state.active);
  let target;
  if (current >= 0) target = all[Math.min(all.length - 1, Math.max(0, current + step))];
  else if (step > 0) target = all.find((s) => s.start > t) || all[all.length - 1];
  else target = [...all].reverse().find((s) => s.start < t) || all[0];
  state.asked = target;
  a.currentTime = target.start;
  if (!a.paused) a.play().catch(() => {});
  highlight(target.idx);
}

function typing(target) {
  if (!(target instanceof Element)) return false;
  if (target.closest("input, textarea, select, audio, [contenteditable=''], [contenteditable='true']")) return true;
  return Boolean(target.closest("[role='combobox'], [role='listbox'], [role='option'], [role='slider']"));
}

function onKey(event) {
  const a = audio();
  if (!a || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  const button = event.target instanceof Element ? event.target.closest("button") : null;
  if (event.key === " " || event.code === "Space") {
    // Space on another button presses it; on a play button or the page it plays or pauses.
    if (button && !button.textContent.trim().startsWith("▶")) return;
    event.preventDefault();
    event.stopPropagation();
    if (a.paused) a.play().catch(() => {});
    else a.pause();
  } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
    event.preventDefault();
    seek((a.currentTime || 0) + (event.key === "ArrowLeft" ? -5 : 5), !a.paused);
  } else if (event.key === "j" || event.key === "J" || event.key === "о" || event.key === "О") {
    event.preventDefault();
    goToLine(-1);
  } else if (event.key === "k" || event.key === "K" || event.key === "л" || event.key === "Л") {
    event.preventDefault();
    goToLine(1);
  }
}

// A click on a transcript line's text (not on its buttons) plays from that line.
function onClick(event) {
  const target = event.target;
  if (!(target instanceof Element) || target.closest("button, a, input, [data-baseweb='popover']")) return;
  const el = target.closest("[class*='st-key-line_']");
  if (!el) return;
  const idx = Number((/st-key-line_(\d+)/.exec(el.className) || [])[1]);
  const s = segments().find((x) => x.idx === idx);
  if (!s) return;
  state.asked = s;
  const a = audio();
  if (!a) return;
  a.currentTime = s.start;
  a.play().catch(() => {});
  highlight(idx);
}

function percent(seconds, duration) {
  return Math.max(0, Math.min(100, (100 * seconds) / duration)) + "%";
}

function drawBars(root, data) {
  const bars = root.querySelector(".callqa-bars");
  bars.replaceChildren();
  const duration = data.duration;
  if (!(duration > 0)) return;
  for (const lane of data.lanes) {
    const row = document.createElement("div");
    row.className = "callqa-lane";
    const name = document.createElement("span");
    name.className = "callqa-lane-name";
    name.textContent = lane.label;  // text, never markup
    const track = document.createElement("div");
    track.className = "callqa-track";
    track.dataset.lane = lane.speaker;
    for (const s of data.segments) {
      if (s.speaker !== lane.speaker) continue;
      const bar = document.createElement("span");
      bar.className = "callqa-speech";
      bar.style.left = percent(s.start, duration);
      bar.style.width = percent(Math.max(s.end - s.start, duration / 400), duration);
      bar.style.background = lane.color;
      bar.dataset.idx = s.idx;
      bar.title = s.title;
      track.appendChild(bar);
    }
    row.append(name, track);
    bars.appendChild(row);
  }
  const marks = document.createElement("div");
  marks.className = "callqa-lane";
  const name = document.createElement("span");
  name.className = "callqa-lane-name";
  name.textContent = data.labels.marks;
  const track = document.createElement("div");
  track.className = "callqa-track callqa-marks";
  for (const m of data.marks) {
    const mark = document.createElement("span");
    mark.className = "callqa-mark callqa-mark-" + m.kind;
    mark.style.left = percent(m.at, duration);
    if (m.end !== null && m.end > m.at) mark.style.width = percent(m.end - m.at, duration);
    mark.title = m.label;
    mark.dataset.at = m.at;
    track.appendChild(mark);
  }
  marks.append(name, track);
  bars.appendChild(marks);
  const overlay = document.createElement("div");
  overlay.className = "callqa-overlay";  // over the tracks only, right of the lanes' names
  const head = document.createElement("span");
  head.className = "callqa-playhead";
  overlay.appendChild(head);
  bars.appendChild(overlay);
  bars.onclick = (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    if (target.dataset.idx !== undefined) {
      const s = data.segments.find((x) => x.idx === Number(target.dataset.idx));
      if (s) {
        state.asked = s;
        seek(s.start, true);
        state.asked = s;
        highlight(s.idx);
        return;
      }
    }
    if (target.dataset.at !== undefined) return seek(Number(target.dataset.at), true);
    const track = target.closest(".callqa-track");
    if (!track) return;
    const box = track.getBoundingClientRect();
    seek(((event.clientX - box.left) / box.width) * duration, true);
  };
}

export default function ({ data, parentElement }) {
  const fresh = !state.data || state.data.nonce !== data.nonce;
  state.data = data;
  drawBars(parentElement, data);
  parentElement.querySelector(".callqa-keys").textContent = data.labels.keys;
  if (fresh) {
    // A play button (or a link to a moment) asked for this moment: its line is the one being played.
    state.asked = data.start === null ? null : data.segments.find((s) => s.start <= data.start + 0.05 && data.start < s.end)
      || data.segments.find((s) => s.start >= data.start) || null;
    state.active = null;
  }
  if (!state.bound) {
    state.bound = true;
    document.addEventListener("keydown", onKey, true);
    document.addEventListener("click", onClick);
    state.timer = setInterval(tick, 200);
  }
  tick();
}
