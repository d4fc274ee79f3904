// The workflow UI's one script, served from the binary. It sends actions
// with the page's CSRF token and keeps a run's page current. Text from the
// server is only ever set with textContent, or taken as HTML from pages
// this UI rendered (and escaped).
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

// Where an outcome waits while the page loads again.
const NOTICE = "workflow-ui-notice";

// Shows `text` above the page's content.
function notify(text) {
  const notice = document.createElement("p");
  notice.className = "notice";
  notice.textContent = text;
  document.querySelector("main").prepend(notice);
}

async function act(form) {
  const outcome = form.querySelector(".outcome");
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
  const body = {};
  for (const [key, value] of new FormData(form)) body[key] = value;
  outcome.classList.remove("failed");
  outcome.textContent = "sending…";
  try {
    const response = await fetch(form.dataset.action, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf() },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const answer = response.headers.get("content-type")?.includes("json")
      ? await response.json()
      : { ok: false, message: "error: " + (await response.text()) };
    outcome.textContent = answer.message;
    outcome.classList.toggle("failed", !answer.ok);
    // A schedule's page shows its new state, or the list once it is gone,
    // with the outcome kept across the load.
    const after = form.dataset.after;
    if (answer.ok && after) {
      sessionStorage.setItem(NOTICE, answer.message);
      if (after === "reload") window.location.reload();
      else window.location.assign(after);
      return;
    }
  } catch (error) {
    outcome.classList.add("failed");
    outcome.textContent = "error: " + error;
  }
  refresh();
}

async function loadStack() {
  const stack = document.getElementById("stack");
  if (!stack) return;
  try {
    stack.textContent = await (await fetch(stack.dataset.src, { credentials: "same-origin" })).text();
  } catch (error) {
    stack.textContent = "error: " + error;
  }
}

// A run's page polls while the run is open and the page is in view.
let refreshing = false;
const running = (live) => live.dataset.version.startsWith("Running:");
async function refresh() {
  const live = document.getElementById("live");
  if (!live || refreshing || document.hidden) return;
  refreshing = true;
  try {
    const state = await (await fetch(live.dataset.state, { credentials: "same-origin" })).json();
    if (state.version !== live.dataset.version) {
      // Only the events after the last one shown are sent again.
      const timeline = document.getElementById("timeline");
      const url = new URL(live.dataset.page, window.location.href);
      url.searchParams.set("after", timeline ? timeline.dataset.last : "0");
      const page = new DOMParser().parseFromString(
        await (await fetch(url, { credentials: "same-origin" })).text(), "text/html");
      const fresh = page.getElementById("live");
      const statusChanged = state.version.split(":")[0] !== live.dataset.version.split(":")[0];
      if (fresh) {
        const shown = timeline && timeline.querySelector("tbody");
        const added = fresh.querySelector("#timeline tbody");
        if (shown && added) {
          shown.append(...added.childNodes);
          added.replaceWith(shown);
        }
        live.replaceChildren(...fresh.childNodes);
        live.dataset.version = fresh.dataset.version;
        loadStack();
      }
      const actions = page.getElementById("actions");
      if (statusChanged && actions) {
        // The forms change with the status; what they answered stays in view.
        const shown = document.getElementById("actions");
        const said = [...shown.querySelectorAll(".outcome")].map((o) => o.textContent).filter((t) => t);
        shown.replaceWith(actions);
        said.forEach(notify);
      }
    }
  } catch (error) {
    // The server may be restarting; the next poll tries again.
  } finally {
    refreshing = false;
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form.action");
  if (!form) return;
  event.preventDefault();
  act(form);
});

const waiting = sessionStorage.getItem(NOTICE);
if (waiting) {
  sessionStorage.removeItem(NOTICE);
  notify(waiting);
}

const live = document.getElementById("live");
if (live) {
  loadStack();
  const poll = setInterval(() => {
    if (running(live)) refresh();
    else clearInterval(poll);
  }, 1000);
}
