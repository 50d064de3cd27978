/*
 * Gestão municipal › Certificados — progressive enhancement, behaviour only.
 * Every form posts without this file, and every text and every piece of markup comes from the server (EJS): here we
 * add Copiar (also on plain HTTP), the password eye, our own required-field messages, the in-place Habilitar submit,
 * the Desabilitar confirmation, busy buttons, "Sem contato com o servidor" instead of the browser's error page, and
 * live updates — on each event from {base}/api/events the page asks
 * {base}/fragmentos for the server-rendered regions and swaps those whose version changed, keeping what the admin
 * chose, typed and focused. Plain ES2020, no build step, no inline script (the CSP forbids it).
 */
(() => {
  'use strict';

  const base = document.body.dataset.base || '';
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  const announcer = $('#anuncio');
  /** Says something to screen readers through the page's polite live region. */
  const announce = (text) => {
    if (!announcer || !text) return;
    announcer.textContent = '';
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  };

  /** Shows what only works with this script (Copiar, the eye) and sets the eye's state; run again after each swap. */
  const enhance = (root) => {
    for (const element of $$('[data-js][hidden]', root)) element.hidden = false;
    for (const button of $$('[data-toggle-password]', root)) renderEye(button, false);
    for (const form of $$('form[data-validate]', root)) form.noValidate = true;
  };

  // ---------- Copiar ----------

  /** Copies the input's text; navigator.clipboard exists only on HTTPS/localhost, PEC often runs on plain HTTP. */
  const copyFromInput = async (input) => {
    const text = input.value;
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch {
        // Permission refused or not focused: fall back to the selection below.
      }
    }
    input.focus();
    input.select();
    input.setSelectionRange(0, text.length);
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  };

  let copyTimer = 0;
  const copy = async (button) => {
    const input = document.getElementById(button.dataset.copy || '');
    const status = document.getElementById(button.dataset.copyStatus || '');
    if (!input) return;
    const ok = await copyFromInput(input);
    window.clearTimeout(copyTimer);
    button.dataset.label = button.dataset.label || button.textContent;
    if (ok) {
      button.textContent = button.dataset.copiedText;
      if (status) status.textContent = button.dataset.copiedStatus;
    } else {
      input.focus();
      input.select();
      if (status) status.textContent = button.dataset.failedStatus;
    }
    copyTimer = window.setTimeout(() => {
      button.textContent = button.dataset.label;
      if (status) status.textContent = '';
    }, 2000);
  };

  // ---------- password eye ----------

  const renderEye = (button, shown) => {
    const input = document.getElementById(button.dataset.togglePassword);
    if (!input) return;
    input.type = shown ? 'text' : 'password';
    const label = shown ? button.dataset.labelHide : button.dataset.labelShow;
    button.setAttribute('aria-pressed', String(shown));
    button.setAttribute('aria-label', label);
    button.title = label;
  };

  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const eye = target && target.closest('[data-toggle-password]');
    if (eye) {
      const input = document.getElementById(eye.dataset.togglePassword);
      if (input) renderEye(eye, input.type === 'password');
      return;
    }
    const copyButton = target && target.closest('[data-copy]');
    if (copyButton) void copy(copyButton);
  });

  // ---------- required fields: our own messages (the texts come with the markup) ----------

  const visible = (element) => Boolean(element.offsetParent || element.getClientRects().length);

  /** The field's own error element (rendered empty and hidden by the server when there is no error). */
  const errorOf = (field) => document.getElementById(field.dataset.errorId || '');

  const setFieldError = (field, message) => {
    const error = errorOf(field);
    const controls = field.matches('fieldset') ? $$('input', field) : [field];
    for (const control of controls) {
      if (message) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    }
    const group = field.closest('.input-group');
    if (group) group.classList.toggle('is-invalid', Boolean(message));
    if (error) {
      error.textContent = message || '';
      error.hidden = !message;
    }
  };

  /** Marks every empty required field that is shown; returns the first one (to focus), or null when all are filled. */
  const checkRequired = (form) => {
    let first = null;
    for (const field of $$('[data-required-message]', form)) {
      if (!visible(field)) continue;
      const empty = field.matches('fieldset') ? !$$('input:checked', field).length : field.value.trim() === '';
      if (empty) {
        setFieldError(field, field.dataset.requiredMessage);
        first = first || (field.matches('fieldset') ? $('input', field) : field);
      } else if (errorOf(field) && errorOf(field).textContent === field.dataset.requiredMessage) {
        setFieldError(field, '');
      }
    }
    return first;
  };

  // ---------- forms: in-place Habilitar, confirmation, busy buttons (delegated: regions are swapped live) ----------

  const markBusy = (form, submitter) => {
    form.dataset.submitting = 'true';
    const button = submitter || form.querySelector('[type=submit][data-busy-text]');
    if (!button || !button.dataset.busyText) return;
    button.dataset.label = button.textContent;
    // After the submission has started, so the browser still sends the form.
    window.setTimeout(() => {
      button.textContent = button.dataset.busyText;
      button.classList.add('is-busy');
      button.setAttribute('aria-disabled', 'true');
    }, 0);
  };

  const unmarkBusy = (form) => {
    delete form.dataset.submitting;
    delete form.dataset.confirmed;
    for (const button of $$('.is-busy', form)) {
      button.textContent = button.dataset.label || button.textContent;
      button.classList.remove('is-busy');
      button.removeAttribute('aria-disabled');
    }
  };

  // ---------- no contact with the server: stay on the page instead of the browser's own error page ----------

  const noContact = $('#sem-contato');
  const reconnecting = $('#reconectando');
  let down = false;

  /** Says the server could not be reached (this message covers "Reconectando…"); the form stays as it was filled. */
  const showNoContact = () => {
    if (!noContact) return;
    if (reconnecting) reconnecting.hidden = true;
    noContact.hidden = false;
  };
  const hideNoContact = () => {
    if (noContact) noContact.hidden = true;
  };

  /** True (and says so) when a form posted now would end on the browser's error page: the event stream is down. */
  const unreachable = (form) => {
    if (!down || !noContact || form.method !== 'post') return false;
    showNoContact();
    return true;
  };

  const openConfirmation = (form, dialog) => {
    dialog.returnValue = '';
    dialog.addEventListener('close', () => {
      if (dialog.returnValue === 'desabilitar') {
        form.dataset.confirmed = 'true';
        markBusy(form, null);
        form.submit();
      }
      if (pending) void refresh();
    }, { once: true });
    dialog.showModal();
  };

  /** Posts the form with fetch: a refusal comes back as the server's page, whose form replaces this one. */
  const submitInPlace = async (form) => {
    const password = $('input[name="password"]', form);
    const typed = password ? password.value : '';
    let answer = null;
    let response = null;
    try {
      response = await fetch(form.action, {
        method: 'POST',
        body: new URLSearchParams(new FormData(form)),
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      });
    } catch {
      // No answer at all: an ordinary post would only land on the browser's error page.
    }
    // A proxy's own error page (502–504) while the event stream is down: the module itself is away.
    if (!response || (down && response.status >= 502 && response.status <= 504)) {
      showNoContact();
      return;
    }
    try {
      answer = await response.json();
    } catch {
      // Not JSON: the ordinary post below lets the server show what it has to say.
    }
    if (answer && typeof answer.redirect === 'string') {
      window.location.assign(answer.redirect);
      return;
    }
    const template = document.createElement('template');
    if (answer && typeof answer.html === 'string') template.innerHTML = answer.html;
    const fresh = form.id ? template.content.getElementById(form.id) : null;
    if (!fresh) {
      // Not an answer this script knows (a limit, a server error, an expired session): post it the ordinary way.
      form.dataset.native = 'true';
      form.submit();
      return;
    }
    form.replaceWith(fresh);
    enhance(fresh);
    // The summary of what went wrong (at the top of the panel) comes with the page too: shown, or gone when fixed.
    const summary = $('#resumo-erros');
    const freshSummary = template.content.getElementById('resumo-erros');
    if (summary) summary.remove();
    const title = $('#certificados > h2');
    if (freshSummary && title) title.after(freshSummary);
    const again = password ? document.getElementById(password.id) : null;
    if (again) again.value = typed;
    // Focus on the first field in error; a refusal that belongs to no field is read from the summary.
    const first = $('[aria-invalid="true"]', fresh) || $('#resumo-erros');
    if (first) {
      first.focus();
      first.scrollIntoView({ block: 'center' });
    }
  };

  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method === 'dialog') return;
    if (form.dataset.submitting === 'true') {
      event.preventDefault();
      return;
    }
    // Cancelar in the Desabilitar dialog only closes it.
    if (event.submitter && event.submitter.getAttribute('formmethod') === 'dialog') return;
    hideNoContact();
    if (!form.hasAttribute('data-in-place') && unreachable(form)) {
      event.preventDefault();
      const dialog = form.closest('dialog');
      if (dialog && dialog.open) dialog.close();
      return;
    }
    const dialogId = form.dataset.confirm;
    if (dialogId && form.dataset.confirmed !== 'true') {
      const dialog = document.getElementById(dialogId);
      if (dialog && typeof dialog.showModal === 'function') {
        event.preventDefault();
        openConfirmation(form, dialog);
        return;
      }
    }
    if (form.hasAttribute('data-validate')) {
      const first = checkRequired(form);
      if (first) {
        event.preventDefault();
        first.focus();
        return;
      }
    }
    if (form.hasAttribute('data-in-place') && typeof window.fetch === 'function') {
      event.preventDefault();
      markBusy(form, event.submitter);
      void submitInPlace(form).finally(() => {
        if (form.isConnected && form.dataset.native !== 'true') unmarkBusy(form);
      });
      return;
    }
    if (form.hasAttribute('data-busy') || dialogId) markBusy(form, event.submitter);
  });

  // Filling a field clears its own required-field message (a server's message stays until the next answer).
  const clearWhenFilled = (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const field = target.closest('[data-required-message]');
    if (field && errorOf(field) && errorOf(field).textContent === field.dataset.requiredMessage) {
      const filled = field.matches('fieldset') ? $$('input:checked', field).length > 0 : field.value.trim() !== '';
      if (filled) setFieldError(field, '');
    }
  };
  document.addEventListener('input', clearWhenFilled);
  document.addEventListener('change', clearWhenFilled);

  // Back/forward cache brings the page back as it was left: undo the busy look.
  window.addEventListener('pageshow', (event) => {
    if (!event.persisted) return;
    for (const form of $$('form[data-submitting]')) unmarkBusy(form);
  });

  // ---------- live updates: swap the server-rendered regions ----------

  /** Replaces a region's content, keeping the focused element (by id) focused. */
  const swapChildren = (region, fresh) => {
    const focusedId = region.contains(document.activeElement) ? document.activeElement.id : '';
    region.replaceChildren(...fresh.childNodes);
    enhance(region);
    if (focusedId) {
      const again = document.getElementById(focusedId);
      if (again) again.focus();
    }
  };

  /** The select keeps the admin's choice while that file can still be chosen; otherwise it says why it was cleared. */
  const swapOptions = (select, fresh) => {
    const chosen = select.value;
    // A file that can be chosen is shown by its name alone (the server escaped it).
    const chosenLabel = select.selectedOptions[0] ? select.selectedOptions[0].textContent : '';
    select.replaceChildren(...fresh.childNodes);
    const still = $$('option', select).find((option) => option.value === chosen && !option.disabled);
    select.value = still ? chosen : '';
    if (chosen && !still) announce((select.dataset.goneText || '').replace('{arquivo}', chosenLabel));
    else announce(select.dataset.updatedText);
  };

  const panel = $('#certificados');
  let fetching = false;
  let pending = false;

  /** Fetches every region and swaps the ones whose version differs from what is shown. */
  const refresh = async () => {
    if (fetching || $('dialog[open]')) {
      pending = true;
      return;
    }
    fetching = true;
    pending = false;
    try {
      const response = await fetch(base + '/fragmentos', {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
        cache: 'no-store',
      });
      const type = response.headers.get('content-type') || '';
      if (!response.ok || !type.includes('json')) {
        // The session ended (a login page) or something else answered: let the server show what it has to say.
        window.location.reload();
        return;
      }
      const answer = await response.json();
      for (const [name, fragment] of Object.entries(answer.fragments || {})) {
        const region = $(`[data-fragment="${name}"]`);
        if (!region || region.dataset.version === fragment.version) continue;
        const template = document.createElement('template');
        template.innerHTML = fragment.html;
        if (region.matches('select')) swapOptions(region, template.content);
        else swapChildren(region, template.content);
        region.dataset.version = fragment.version;
      }
      if (panel && answer.state && panel.dataset.state !== answer.state) {
        panel.dataset.state = answer.state;
        announce(answer.stateText);
        // Nothing enabled any more: the enable form is the screen again, not a closed disclosure.
        const details = $('#substituir');
        if (details && answer.state === 'disabled') details.open = true;
      }
      // The contra-chave of this installation was saved elsewhere: the "informe a contra-chave" box has done its job.
      const box = $('#contra-chave-instalacao');
      if (box && answer.contraChaveOrigin === 'instalacao' && !$('[aria-invalid="true"]', box)) box.hidden = true;
    } catch {
      // Network hiccup: the next status event tries again.
    } finally {
      fetching = false;
      if (pending) void refresh();
    }
  };

  let events = null;

  const setupLiveUpdates = () => {
    // Only the screen listens: the login page has no session to listen with, the guide is read once.
    if (typeof window.EventSource !== 'function' || events || !panel) return;
    const stream = new EventSource(base + '/api/events');
    events = stream;
    stream.addEventListener('status', () => void refresh());
    stream.addEventListener('open', () => {
      if (!down) return;
      down = false;
      if (reconnecting) reconnecting.hidden = true;
      hideNoContact();
    });
    stream.addEventListener('error', () => {
      if (stream.readyState === EventSource.CLOSED) {
        // The server answered but refused the stream (the session is gone): reload, so it says why.
        window.location.reload();
        return;
      }
      down = true;
      if (reconnecting && (!noContact || noContact.hidden)) reconnecting.hidden = false;
    });
  };

  // An open stream keeps the page out of the back/forward cache; reopen it when the page comes back.
  window.addEventListener('pagehide', () => {
    if (events) events.close();
    events = null;
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) setupLiveUpdates();
  });

  enhance(document);
  setupLiveUpdates();
})();
