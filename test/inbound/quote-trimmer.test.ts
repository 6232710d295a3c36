import { describe, expect, it } from 'vitest';
import { trimQuotes } from '../../lib/index.js';

/** the visible text of an HTML fragment, whitespace collapsed */
function visible(html: string | null): string {
  return (html ?? '')
    .replace(/<head[\s\S]*?<\/head>/gi, '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('quote trimming in HTML without a client marker', () => {
  it("cuts at Outlook's From/Sent/To/Subject paragraph", () => {
    const html =
      '<html><head><style>p.MsoNormal{margin:0}</style></head><body><div class=WordSection1>' +
      '<p class=MsoNormal><span>Thanks, that works.<o:p></o:p></span></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>' +
      '<p class=MsoNormal><b><span>From:</span></b><span> Support [mailto:support@example.test] <br><b>Sent:</b> Monday, April 2, 2012 5:44 PM<br>' +
      '<b>To:</b> Dan<br><b>Subject:</b> Your ticket<o:p></o:p></span></p><p class=MsoNormal>Hi Dan, try again.</p></div></body></html>';
    const { body, trimmed } = trimQuotes({ html });
    expect(visible(body)).toBe('Thanks, that works.');
    expect(visible(trimmed)).toMatch(/^From: Support \[mailto:support@example\.test\] Sent: .* Hi Dan, try again\.$/);
  });

  it('takes the whole header block when it opens with a field talon does not split on (GMX: Gesendet, Von, An, Betreff)', () => {
    const html =
      '<div>Vielen Dank!</div><div>Jörg</div><div name="quote"><div><b>Gesendet:</b> Montag, 10. April 2017 um 12:40 Uhr<br>' +
      '<b>Von:</b> support@example.test<br><b>An:</b> j@outside.test<br><b>Betreff:</b> Antwort: PDF</div><div>Guten Tag!</div></div>';
    const { body, trimmed } = trimQuotes({ html });
    expect(visible(body)).toBe('Vielen Dank! Jörg');
    expect(visible(trimmed)).toMatch(/^Gesendet: Montag/);
  });

  it('cuts a quote written as "> " lines (Hotmail)', () => {
    const html =
      '<div dir="ltr">Hello<br><br><div>&gt; Subject: Test<br>&gt; From: bob@example.test<br>&gt; Date: Mon, 2 Apr 2012 17:44:22 +0400<br>&gt; <br>&gt; Hi<br></div></div>';
    const { body, trimmed } = trimQuotes({ html });
    expect(visible(body)).toBe('Hello');
    expect(visible(trimmed)).toBe('> Subject: Test > From: bob@example.test > Date: Mon, 2 Apr 2012 17:44:22 +0400 > > Hi');
  });

  it("cuts at Zimbra's divider", () => {
    for (const hr of ['<hr id="zwchr">', '<hr data-marker="__DIVIDER__">']) {
      const { body, trimmed } = trimQuotes({ html: `<div>Hello<br><br>${hr}<b>From: </b>bob@example.test<br>Hi</div>` });
      expect(visible(body)).toBe('Hello');
      expect(trimmed).toContain(hr);
    }
  });

  it('keeps a lone "Date:" line (a feed item\'s metadata) and a bottom-posted answer below a quote', () => {
    const feed = '<p>Malmö 2016-07-09: the works are done.</p><p>Date: 2016-07-19 11:54:24 +0200<br>Author: malmoborg<br>Filed under: News</p>';
    expect(trimQuotes({ html: feed })).toEqual({ body: feed, trimmed: null });
    const bottom = '<div>&gt; Can you come?<br>&gt; We start at 9.<br>&gt; Bring a laptop.</div><div>Yes, I will be there.</div>';
    expect(trimQuotes({ html: bottom })).toEqual({ body: bottom, trimmed: null });
  });

  it('pulls an attribution without "On …" ("Jane via Support wrote:") into the trimmed part', () => {
    const html = '<div>Sounds good.</div><div>Jane via Support wrote:</div><blockquote type="cite">Shall we meet?</blockquote>';
    const { body, trimmed } = trimQuotes({ html });
    expect(visible(body)).toBe('Sounds good.');
    expect(visible(trimmed)).toBe('Jane via Support wrote: Shall we meet?');
  });
});

describe('quote trimming in plain text', () => {
  it('pulls an attribution talon does not know into the trimmed part, in several languages', () => {
    for (const attribution of ['codinghorror via Discourse wrote:', 'Jane Doe <jane@example.test> schrieb:', 'Иван написал:', '张三 写道：']) {
      const text = `Hello this email has content!\n\n${attribution}\n> The first quoted line\n> and the second\n> and the third\n`;
      const { body, trimmed } = trimQuotes({ text });
      expect(visible(body)).toBe('Hello this email has content!');
      expect(visible(trimmed)).toBe(`${attribution} > The first quoted line > and the second > and the third`);
    }
  });

  it('leaves a line that ends in "wrote:" alone when no quote follows it', () => {
    const text = 'Here is what the manual wrote:\nrestart the printer twice.\n';
    const { body, trimmed } = trimQuotes({ text });
    expect(trimmed).toBeNull();
    expect(visible(body)).toBe('Here is what the manual wrote: restart the printer twice.');
  });
});

describe('answers written between or below quoted lines', () => {
  it('keeps the answers between quoted lines, drops the quoted ones and their attribution, and keeps the whole as the trimmed part', () => {
    const text = [
      'Hi,',
      '',
      'On Mon, 7 Dec 2026 at 10:00, Agent <agent@example.test> wrote:',
      '> Which printer is it?',
      '',
      'The one on floor 2.',
      '',
      '> Since when?',
      '> (roughly)',
      '',
      'Since Monday.',
      '',
      '> -- ',
      '> Reply to this email to answer in the thread.',
    ].join('\n');
    const { body, trimmed } = trimQuotes({ text });
    expect(visible(body)).toBe('Hi, The one on floor 2. Since Monday.');
    expect(visible(trimmed)).toContain('> Which printer is it? The one on floor 2. > Since when?');
  });

  it('drops the attribution of a bottom-posted reply whose quote is empty', () => {
    const { body } = trimQuotes({ text: 'On Mon, 7 Dec 2026 at 10:00, Agent wrote:\n>\n\nMy answer below.\n' });
    expect(visible(body)).toBe('My answer below.');
  });

  it('keeps a top-posted reply as before: the quote below it is trimmed', () => {
    const { body, trimmed } = trimQuotes({ text: 'Top answer\n\nOn Mon, 7 Dec 2026 at 10:00, Agent wrote:\n> q1\n> q2\n' });
    expect(visible(body)).toBe('Top answer');
    expect(visible(trimmed)).toBe('On Mon, 7 Dec 2026 at 10:00, Agent wrote: > q1 > q2');
  });

  it('takes an HTML reply below "<p>On … wrote:</p><blockquote>", and answers between cited blockquotes', () => {
    const below = trimQuotes({ html: '<p>On Mon, 7 Dec 2026, Agent wrote:</p><blockquote><p>Question?</p><p>Reply to this email.</p></blockquote><p>My answer below.</p>' });
    expect(visible(below.body)).toBe('My answer below.');
    expect(visible(below.trimmed)).toContain('Question?');
    const inline = trimQuotes({
      html: '<div class="moz-cite-prefix">On 07/12/2026 10:00, Agent wrote:<br></div><blockquote type="cite"><p>Q1</p></blockquote><p>A1</p><blockquote type="cite"><p>Q2</p></blockquote><p>A2</p>',
    });
    expect(visible(inline.body)).toBe('A1 A2');
  });

  it('leaves a blockquote that is no reply alone (a citation in the text), and a Gmail top post as before', () => {
    const html = '<p>A quote from the manual:</p><blockquote>Do not set it on fire.</blockquote><p>So please do not.</p>';
    expect(trimQuotes({ html })).toEqual({ body: html, trimmed: null });
    const gmail = trimQuotes({ html: '<div>Top answer</div><div class="gmail_quote"><div class="gmail_attr">On Mon, Agent wrote:</div><blockquote class="gmail_quote"><div>q</div></blockquote></div>' });
    expect(visible(gmail.body)).toBe('Top answer');
  });

  it("cuts our own notification footer when a client copied it without quoting it", () => {
    const { body, trimmed } = trimQuotes({ html: '<p>Thanks!</p><table><tr><td data-chatter-footer style="color:#777">Reply to this email. <a href="x">Unfollow</a></td></tr></table>' });
    expect(visible(body)).toBe('Thanks!');
    expect(visible(trimmed)).toContain('Unfollow');
  });
});
