import { DEMO_USERS } from './demo-users.js';
import { html, type SafeHtml } from './html.js';

/** The page frame: top bar with the "acting as" picker, then the page. Scripts are files of ours, loaded as modules. */
export function layout(options: { title: string; page: string; main: SafeHtml; script: string }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Helpdesk</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/web/assets/app.css">
<script type="module" src="/web/assets/${options.script}"></script>
</head>
<body data-page="${options.page}">
<header class="topbar">
  <a class="brand" href="/web/tickets">Helpdesk</a>
  <nav><a href="/web/tickets">Tickets</a></nav>
  <label class="acting-as">Acting as
    <select id="acting-as">
      ${DEMO_USERS.map((u) => html`<option value="${u.email}" data-name="${u.name}">${u.name} &lt;${u.email}&gt;</option>`)}
      <option value="">Someone else…</option>
    </select>
    <input id="acting-as-email" type="email" placeholder="you@example.test" hidden aria-label="Acting as (email)">
  </label>
</header>
<div id="toast" class="toast" role="alert" hidden></div>
<main class="page">
${options.main}
</main>
</body>
</html>
`.value;
}
