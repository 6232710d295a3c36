import { html, type SafeHtml } from './html.js';
import { icon } from './icons.js';

/**
 * The chatter panel's markup for any `@Chatter()` record: the top bar (Send message, Log note, Activities, files,
 * follow, followers), the composer, the activity form, and empty places the client (chatter.js) fills from the JSON API.
 * `labels` names tracked fields and their values for the tracking lines.
 */
export function chatterPanel(options: { model: string; id: string | number; recordName: string; labels: unknown }): SafeHtml {
  return html`<aside class="chatter" id="chatter" data-model="${options.model}" data-id="${options.id}" data-record-name="${options.recordName}" data-labels="${JSON.stringify(options.labels)}">
  <div class="chatter-topbar">
    <button type="button" class="btn primary" data-open="message" aria-pressed="false">Send message</button>
    <button type="button" class="btn" data-open="note" aria-pressed="false">Log note</button>
    <button type="button" class="btn" data-open="activity" aria-pressed="false">${icon('clock')} Activities</button>
    <span class="spacer"></span>
    <button type="button" class="icon-btn" id="attachments-toggle" aria-expanded="false" title="Files">${icon('paperclip', 'Files')}<span id="attachment-count">0</span></button>
    <button type="button" class="btn small" id="follow-toggle" hidden>Follow</button>
    <div class="followers">
      <button type="button" class="icon-btn" id="followers-toggle" aria-expanded="false" title="Followers">${icon('user', 'Followers')}<span id="follower-count">0</span></button>
      <div class="followers-panel" id="followers-panel" hidden>
        <ul class="follower-list" id="follower-list"></ul>
        <form id="add-follower" class="stack">
          <input name="email" type="email" required placeholder="Add a follower: email" aria-label="Follower email">
          <input name="name" placeholder="Name (optional)" aria-label="Follower name">
          <button class="btn primary small" type="submit">Add follower</button>
        </form>
      </div>
    </div>
  </div>

  <form class="composer" id="composer" data-mode="message" hidden>
    <div class="composer-to" id="composer-to"></div>
    <textarea name="body" rows="3" aria-label="Message"></textarea>
    <ul class="file-chips" id="composer-files"></ul>
    <div class="composer-actions">
      <button type="submit" class="btn primary" id="composer-submit">Send</button>
      <label class="btn" title="Attach files">${icon('paperclip')} Attach<input type="file" id="composer-file" multiple hidden></label>
      <span class="hint">Mention someone with @their@email</span>
    </div>
  </form>

  <form class="activity-form" id="activity-form" hidden>
    <div class="grid">
      <label>Activity <select name="type" id="activity-type"></select></label>
      <label>Due date <input name="deadline" type="date"></label>
      <label>Summary <input name="summary" maxlength="256" placeholder="e.g. Call the customer"></label>
      <label>Assigned to <input name="assigneeEmail" type="email" list="agents" required></label>
    </div>
    <label>Note <textarea name="note" rows="2"></textarea></label>
    <div class="composer-actions"><button type="submit" class="btn primary">Schedule</button><button type="button" class="btn" data-close>Discard</button></div>
  </form>

  <section class="attachments-box" id="attachments-box" hidden>
    <div class="box-head"><h3>Files</h3><label class="btn small">Upload<input type="file" id="record-file" hidden></label></div>
    <ul class="attachment-grid" id="attachment-list"></ul>
  </section>

  <section class="activities" id="activities" hidden>
    <h3>Planned activities</h3>
    <ul class="activity-list" id="activity-list"></ul>
  </section>

  <div class="thread" id="thread"></div>
  <button type="button" class="btn link load-older" id="load-older" hidden>Load older messages</button>
</aside>`;
}
