import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

// Passed through `raw()`: `html` would escape `>` and `"` and so drop the rules that use them.
const STYLE = `
:root { color-scheme: light dark; --accent: #1f6feb; --link: #0b57d0; --muted: #59636e; --line: #d0d7de; --card: #fff; --bg: #f4f6f8; }
@media (prefers-color-scheme: dark) { :root { --line: #30363d; --card: #161b22; --bg: #0d1117; --muted: #9ca3af; --link: #58a6ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); }
header { padding: 14px 24px; border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; column-gap: 16px; align-items: baseline; }
header strong { font-size: 18px; } header span, .muted { color: var(--muted); font-size: 14px; }
main { max-width: 960px; margin: 32px auto; padding: 0 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 28px; }
.card + .card { margin-top: 16px; }
.card > :first-child { margin-top: 0; } .card > :last-child { margin-bottom: 0; }
.consent { max-width: 480px; margin: 0 auto; }
h1 { font-size: 22px; line-height: 1.3; margin: 0 0 12px; } h2 { font-size: 17px; margin: 24px 0 8px; }
.nowrap { white-space: nowrap; }
ul.facts { padding-left: 20px; } ul.facts li + li { margin-top: 4px; }
code { font-size: 13px; overflow-wrap: anywhere; }
.actions { display: flex; gap: 12px; justify-content: flex-end; margin-top: 24px; }
button { font: inherit; padding: 9px 20px; border-radius: 8px; border: 1px solid var(--line); background: transparent; color: inherit; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.table { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { white-space: nowrap; }
td.name { min-width: 10em; overflow-wrap: anywhere; } td.type { min-width: 9em; overflow-wrap: anywhere; } td.meta { min-width: 12em; }
a { color: var(--link); }
@media (max-width: 520px) {
  header { padding: 12px 16px; } main { margin: 16px auto; padding: 0 12px; } .card { padding: 20px; }
  .actions button { flex: 1; }
}
`;

/** The emulator's page layout: a header naming it, then `body`. */
export const page = (title: string, body: Html) => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} · digi.me emulator</title>
    <style>${raw(STYLE)}</style>
  </head>
  <body>
    <header><strong>digi.me</strong><span>local emulator, not the real service</span></header>
    <main>${body}</main>
  </body>
</html>`;

/** A card with a heading and a message, for refusals shown to a person. */
export const messagePage = (title: string, message: string) =>
  page(title, html`<div class="card consent"><h1>${title}</h1><p>${message}</p></div>`);
