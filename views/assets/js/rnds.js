/*
 * Gestão municipal › RNDS — progressive enhancement, behaviour only. Without this file the tab works: the accordions
 * are <details>, the filter is a GET form, and "Gerar relatório de erros" opens the form on its own page. Here we add
 * the report dialog (focus inside, Escape closes, focus back on the button), "Gerar relatório CSV" disabled until a
 * model is ticked, Marcar todos, the counts per model refreshed when the dates change (the server reads the dates and
 * writes the texts: no date rule here), and live updates: on a `status` event from {base}/api/events, or a `sends`
 * event whose version is not the one the page shows, the page asks itself again and swaps the parts ([data-live])
 * that changed — open accordions, the filter, the dialog and the focus stay. Every text comes from the server. Plain ES2020, no build step, no inline script (the CSP forbids it).
 */
(() => {
  'use strict';

  const base = document.body.dataset.base || '';
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  // ---------- the report dialog ----------

  const dialog = $('#dialogo-relatorio');
  const form = $('#form-relatorio');
  let opener = null;

  const modelBoxes = () => (form ? $$('input[name="modelos"]', form) : []);

  /** Gerar relatório CSV is disabled until a model is ticked; the hint says why. Marcar todos follows the models. */
  const syncModels = () => {
    if (!form) return;
    const boxes = modelBoxes();
    const ticked = boxes.filter((box) => box.checked).length;
    const all = $('#relatorio-todos', form);
    if (all) {
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    const submit = $('#gerar-csv', form);
    if (submit) submit.disabled = ticked === 0;
    const hint = $('[data-when-none]', form);
    if (hint) hint.hidden = ticked > 0;
  };

  let countsAsked = 0;
  /** Asks the server how many records each model has in the period, and writes its texts beside the boxes. */
  const refreshCounts = async () => {
    if (!form || typeof window.fetch !== 'function') return;
    const de = $('#relatorio-de', form).value.trim();
    const ate = $('#relatorio-ate', form).value.trim();
    // Only whole dates (the server decides whether they are real days and in order).
    const whole = /^\d{1,2}\/\d{1,2}\/\d{4}$/;
    if (!whole.test(de) || !whole.test(ate)) return;
    const asked = ++countsAsked;
    try {
      const url = form.dataset.countsUrl + '?' + new URLSearchParams({ de, ate }).toString();
      const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!response.ok || asked !== countsAsked) return;
      const answer = await response.json();
      for (const element of $$('[data-count-for]', form)) {
        const text = answer.texts && answer.texts[element.dataset.countFor];
        if (typeof text === 'string') element.textContent = text;
      }
    } catch {
      // The counts stay as they were; the report itself does not depend on them.
    }
  };

  if (form) {
    form.addEventListener('change', (event) => {
      const target = event.target;
      if (target && target.id === 'relatorio-todos') {
        for (const box of modelBoxes()) box.checked = target.checked;
      }
      syncModels();
    });
    form.addEventListener('input', (event) => {
      const target = event.target;
      if (target && (target.id === 'relatorio-de' || target.id === 'relatorio-ate')) void refreshCounts();
    });
    syncModels();
  }

  if (dialog && form && typeof dialog.showModal === 'function') {
    form.addEventListener('submit', (event) => {
      if (modelBoxes().every((box) => !box.checked)) {
        event.preventDefault();
        return;
      }
      // The form goes on (GET {base}/rnds/relatorio → 303 to the CSV, a download: the tab stays where it is; a wrong
      // date comes back as the form on its own page, saying what to fix).
      dialog.close();
    });
    const cancel = $('[data-close-dialog]', dialog);
    if (cancel) cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      if (opener && opener.isConnected) opener.focus();
      else if ($('#gerar-relatorio')) $('#gerar-relatorio').focus();
    });

    document.addEventListener('submit', (event) => {
      const trigger = event.target;
      if (!(trigger instanceof HTMLFormElement) || !trigger.dataset.reportDialog) return;
      event.preventDefault();
      opener = event.submitter || $('button', trigger);
      syncModels();
      dialog.showModal();
      const first = $('#relatorio-de', dialog);
      if (first) first.focus();
      void refreshCounts();
    });
  }

  // ---------- live updates ----------

  const announcer = $('#anuncio');
  const content = $('#rnds-conteudo');
  // The version of the stored sends this page shows, and the latest the stream announced (http/events.ts).
  let shownSends = content ? content.dataset.sendsVersion || '' : '';
  let announcedSends = shownSends;
  let fetching = false;
  /** A status event came while the tab could not be asked again (a fetch under way, or the dialog open). */
  let statusPending = false;
  const behind = () => statusPending || announcedSends !== shownSends;

  /**
   * Replaces a live part with the server's, keeping open accordions open and the focused element focused (every
   * focusable element of a live part has an id: the accordions' summaries, Gerar relatório de erros).
   */
  const swap = (current, fresh) => {
    if (current.innerHTML === fresh.innerHTML) return false;
    const open = new Set($$('details[open]', current).map((details) => details.id));
    const focusedId = current.contains(document.activeElement) ? document.activeElement.id : '';
    current.replaceChildren(...fresh.childNodes);
    for (const details of $$('details', current)) if (open.has(details.id)) details.open = true;
    if (focusedId && document.getElementById(focusedId)) document.getElementById(focusedId).focus({ preventScroll: true });
    return true;
  };

  /** Asks the tab again (same address: the filter stays) and swaps the live parts that changed. */
  const refresh = async () => {
    if (fetching || (dialog && dialog.open)) return; // asked again when the fetch ends or the dialog closes
    fetching = true;
    statusPending = false;
    let answered = false;
    try {
      const response = await fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' }, cache: 'no-store' });
      if (!response.ok) {
        window.location.reload();
        return;
      }
      const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
      answered = true;
      const freshContent = fresh.getElementById('rnds-conteudo');
      if (!content || !freshContent) {
        window.location.reload();
        return;
      }
      if (content.dataset.enabled !== freshContent.dataset.enabled) {
        // A certificate was enabled or disabled: the whole tab changes (and the dialog appears or goes).
        window.location.reload();
        return;
      }
      let changed = false;
      for (const part of $$('[data-live]', content)) {
        const next = fresh.getElementById(part.id);
        if (next && swap(part, next)) changed = true;
      }
      shownSends = freshContent.dataset.sendsVersion || '';
      content.dataset.sendsVersion = shownSends;
      if (changed && announcer) {
        announcer.textContent = '';
        window.setTimeout(() => { announcer.textContent = 'Envios à RNDS atualizados.'; }, 50);
      }
    } catch {
      // Network hiccup: the next event (or the stream's reconnection) tries again.
    } finally {
      fetching = false;
      // Something came while this answer was on its way: once more (never in a loop against a server that is down).
      if (answered && behind()) void refresh();
    }
  };
  const whenStatus = () => {
    statusPending = true;
    void refresh();
  };
  if (dialog) dialog.addEventListener('close', () => { if (behind()) void refresh(); });

  let events = null;
  const reconnecting = $('#reconectando');
  const setupLiveUpdates = () => {
    if (typeof window.EventSource !== 'function' || events || !content) return;
    const stream = new EventSource(base + '/api/events');
    events = stream;
    let down = false;
    let first = true;
    stream.addEventListener('status', () => {
      // The stream's first event is the Status the page was rendered with.
      if (first) {
        first = false;
        return;
      }
      whenStatus();
    });
    // Sends were reported: the event carries only a version. At connection it is the current one, so a report
    // stored between the page and its stream is not missed; a burst of reports is one event.
    stream.addEventListener('sends', (event) => {
      let version;
      try {
        version = String(JSON.parse(event.data).version || '');
      } catch {
        return;
      }
      if (!version || version === announcedSends) return;
      announcedSends = version;
      if (version === shownSends) return;
      // The open dialog keeps what the admin chose and typed; only its counts per model follow.
      if (dialog && dialog.open) void refreshCounts();
      void refresh();
    });
    stream.addEventListener('open', () => {
      if (!down) return;
      down = false;
      if (reconnecting) reconnecting.hidden = true;
      whenStatus();
    });
    stream.addEventListener('error', () => {
      if (stream.readyState === EventSource.CLOSED) {
        window.location.reload();
        return;
      }
      down = true;
      if (reconnecting) reconnecting.hidden = false;
    });
  };
  window.addEventListener('pagehide', () => {
    if (events) events.close();
    events = null;
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) setupLiveUpdates();
  });
  setupLiveUpdates();
})();
