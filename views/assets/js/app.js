/*
 * Gestão municipal › Certificados — progressive enhancement.
 * Every form posts without this file; here we add: Copiar (also on plain HTTP), the password eye,
 * "identificador required only with RNDS", the Desabilitar confirmation, busy buttons, and live
 * updates from {base}/api/events without ever reloading the page (the admin may be typing).
 * Plain ES2020, no build step, no inline script (the CSP forbids it).
 */
(() => {
  'use strict';

  const base = document.body.dataset.base || '';
  const $ = (selector, root = document) => root.querySelector(selector);

  // The one rule of module/display.ts (helpers.displayName on the server), whose pattern the page carries in
  // data-unsafe-chars: controls, line separators and bidi/invisible characters become visible text, so a file called
  // "‮xfp.exe" cannot disguise itself. Without the attribute, everything outside printable ASCII is shown escaped.
  const unsafeChars = new RegExp(document.body.dataset.unsafeChars || '[^\\x20-\\x7e]', 'gu');
  const displayName = (name) =>
    String(name).replace(unsafeChars, (c) =>
      '\\u{' + c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0') + '}');

  const announcer = $('#anuncio');
  /** Says something to screen readers through the page's polite live region. */
  const announce = (text) => {
    if (!announcer) return;
    announcer.textContent = '';
    window.setTimeout(() => { announcer.textContent = text; }, 50);
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

  const setupCopy = () => {
    const button = $('#copiar');
    const input = $('#contra-chave');
    const status = $('#copiar-status');
    if (!button || !input) return;
    button.hidden = false;
    const label = button.textContent;
    let timer = 0;
    button.addEventListener('click', async () => {
      const ok = await copyFromInput(input);
      window.clearTimeout(timer);
      if (ok) {
        button.textContent = 'Copiado';
        if (status) status.textContent = 'Contra-chave copiada.';
      } else {
        input.focus();
        input.select();
        if (status) status.textContent = 'Não foi possível copiar. A contra-chave está selecionada: use Ctrl+C.';
      }
      timer = window.setTimeout(() => {
        button.textContent = label;
        if (status) status.textContent = '';
      }, 2000);
    });
  };

  // ---------- password eye ----------

  const setupPasswordToggles = () => {
    for (const button of document.querySelectorAll('[data-toggle-password]')) {
      const input = document.getElementById(button.dataset.togglePassword);
      if (!input) continue;
      const showLabel = button.dataset.labelShow || 'Mostrar senha';
      const hideLabel = button.dataset.labelHide || 'Ocultar senha';
      const render = (shown) => {
        input.type = shown ? 'text' : 'password';
        button.setAttribute('aria-pressed', String(shown));
        button.setAttribute('aria-label', shown ? hideLabel : showLabel);
        button.title = shown ? hideLabel : showLabel;
      };
      button.hidden = false;
      render(false);
      button.addEventListener('click', () => render(input.type === 'password'));
      // A visible password must not end up in the browser's autofill history.
      if (input.form) input.form.addEventListener('submit', () => render(false));
    }
  };

  // ---------- identificador solicitante required only with RNDS ----------

  const setupIdentificador = () => {
    const rnds = $('#servico-rnds');
    const field = $('#identificador');
    const mark = $('#identificador-obrigatorio');
    if (!rnds || !field) return;
    const sync = () => {
      field.required = rnds.checked;
      if (mark) mark.hidden = !rnds.checked;
    };
    rnds.addEventListener('change', sync);
    sync();
  };

  // ---------- forms: confirmation and busy buttons (delegated: #estado is replaced live) ----------

  const openConfirmation = (form, dialog) => {
    dialog.returnValue = '';
    dialog.addEventListener('close', () => {
      if (dialog.returnValue === 'desabilitar') {
        form.dataset.confirmed = 'true';
        markBusy(form, null);
        form.submit();
      }
      if (pendingFragment) refreshEstado();
    }, { once: true });
    dialog.showModal();
  };

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

  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method === 'dialog') return;
    if (form.dataset.submitting === 'true') {
      event.preventDefault();
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
    if (form.hasAttribute('data-busy') || dialogId) markBusy(form, event.submitter);
  });

  // Back/forward cache brings the page back as it was left: undo the busy look.
  window.addEventListener('pageshow', (event) => {
    if (!event.persisted) return;
    for (const form of document.querySelectorAll('form[data-submitting]')) {
      delete form.dataset.submitting;
      delete form.dataset.confirmed;
    }
    for (const button of document.querySelectorAll('.is-busy')) {
      button.textContent = button.dataset.label || button.textContent;
      button.classList.remove('is-busy');
      button.removeAttribute('aria-disabled');
    }
  });

  // ---------- live updates ----------

  const canonical = (value) => {
    if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
    if (value && typeof value === 'object') {
      return '{' + Object.keys(value).sort()
        .filter((key) => value[key] !== undefined)
        .map((key) => JSON.stringify(key) + ':' + canonical(value[key]))
        .join(',') + '}';
    }
    return JSON.stringify(value === undefined ? null : value);
  };

  /** What partials/estado.ejs shows; keep in step with its data-estado. */
  const estadoKey = (status) => canonical({
    state: status.state,
    enabled: status.enabled ?? null,
    problems: status.problems ?? [],
    connection: status.connection ?? null,
    renewal: status.renewal ?? null,
  });

  const shownEstadoKey = () => {
    const shown = $('#estado [data-estado]');
    if (!shown) return '';
    try {
      return canonical(JSON.parse(shown.getAttribute('data-estado')));
    } catch {
      return '';
    }
  };

  const stateSentence = {
    enabled: 'Situação atualizada: certificado habilitado.',
    disabled: 'Situação atualizada: nenhum certificado habilitado.',
    degraded: 'Situação atualizada: o certificado habilitado tem um problema.',
  };

  let fetching = false;
  let pendingFragment = false;

  /** Re-renders #estado from the server; never touches the form, so a typed password stays. */
  const refreshEstado = async () => {
    const container = $('#estado');
    if (!container) return;
    const openDialog = container.querySelector('dialog[open]');
    if (fetching || openDialog) {
      pendingFragment = true;
      return;
    }
    fetching = true;
    pendingFragment = false;
    try {
      const response = await fetch(base + '/fragmentos/estado', {
        credentials: 'same-origin',
        headers: { Accept: 'text/html' },
        cache: 'no-store',
      });
      if (!response.ok) return;
      const template = document.createElement('template');
      template.innerHTML = await response.text();
      const fresh = template.content.querySelector('[data-estado]');
      // A login page (expired session) or anything else is not the fragment: keep what is shown.
      if (!fresh) return;
      const focusedId = container.contains(document.activeElement) ? document.activeElement.id : '';
      const panel = $('#certificados');
      const before = panel ? panel.dataset.state : '';
      container.replaceChildren(...template.content.childNodes);
      if (focusedId) {
        const again = document.getElementById(focusedId);
        if (again) again.focus();
      }
      try {
        const state = JSON.parse(fresh.getAttribute('data-estado')).state;
        if (panel && state) {
          panel.dataset.state = state;
          if (state !== before && stateSentence[state]) announce(stateSentence[state]);
        }
      } catch {
        // The fragment's own key is unreadable: the next event fetches again.
      }
    } catch {
      // Network hiccup: the next status event tries again.
    } finally {
      fetching = false;
      // An event arrived while fetching: fetch once more so the newest state wins.
      if (pendingFragment) refreshEstado();
    }
  };

  let certificatesSignature = null;

  const folderKind = (dir, certificates) => {
    if (!dir) return '';
    if (!dir.exists) return 'missing';
    if (!dir.readable) return 'unreadable';
    return certificates.length === 0 ? 'empty' : '';
  };

  const updateFolderNotice = (dir, certificates) => {
    const notice = $('#pasta-aviso');
    const text = $('#pasta-aviso-texto');
    const select = $('#certificado');
    if (!notice || !text) return;
    const kind = folderKind(dir, certificates);
    notice.hidden = !kind;
    if (select) {
      const ids = (select.getAttribute('aria-describedby') || '').split(/\s+/).filter((id) => id && id !== 'pasta-aviso');
      if (kind) ids.unshift('pasta-aviso');
      if (ids.length) select.setAttribute('aria-describedby', ids.join(' '));
      else select.removeAttribute('aria-describedby');
    }
    if (!kind) {
      text.replaceChildren();
      return;
    }
    notice.classList.toggle('alert--info', kind === 'empty');
    notice.classList.toggle('alert--alert', kind !== 'empty');
    const path = dir.path || notice.dataset.path || '';
    const [before, after = ''] = (notice.dataset[kind] || '').split('{pasta}');
    const code = document.createElement('code');
    code.className = 'path';
    const bdi = document.createElement('bdi');
    bdi.textContent = displayName(path);
    code.append(bdi);
    text.replaceChildren(document.createTextNode(before), code, document.createTextNode(after));
  };

  /** Rebuilds the list that says, under the select, why each file cannot be chosen. */
  const updateReasons = (certificates, shortReasons) => {
    const list = $('#arquivos-motivos');
    const select = $('#certificado');
    if (!list) return;
    const items = certificates
      .filter((entry) => entry.status !== 'ready')
      .map((entry) => {
        const item = document.createElement('li');
        item.dataset.file = entry.file;
        item.dataset.status = entry.status;
        const name = document.createElement('strong');
        const bdi = document.createElement('bdi');
        bdi.textContent = displayName(entry.file);
        name.append(bdi);
        const text = document.createElement('span');
        text.className = 'file-reasons__text';
        text.textContent = entry.reason || shortReasons[entry.status] || 'indisponível';
        item.append(name, document.createTextNode(': '), text);
        return item;
      });
    list.replaceChildren(...items);
    list.hidden = items.length === 0;
    if (select) {
      const ids = (select.getAttribute('aria-describedby') || '').split(/\s+/).filter((id) => id && id !== 'arquivos-motivos');
      if (items.length) ids.push('arquivos-motivos');
      if (ids.length) select.setAttribute('aria-describedby', ids.join(' '));
      else select.removeAttribute('aria-describedby');
    }
  };

  /** Rebuilds the certificate options, keeping the admin's choice while that file is still ready. */
  const updateCertificates = (certificates, dir) => {
    const select = $('#certificado');
    if (!select || !Array.isArray(certificates)) return;
    updateFolderNotice(dir, certificates);
    const signature = canonical(certificates.map((entry) => [entry.file, entry.status, entry.reason || '']));
    if (signature === certificatesSignature) return;
    const firstEvent = certificatesSignature === null;
    certificatesSignature = signature;

    let reasons;
    try {
      reasons = JSON.parse(select.dataset.reasons || '{}');
    } catch {
      reasons = {};
    }
    const chosen = select.value;
    // Names that look the same once normalised (NFC/NFD twins), as lookAlikeNames on the server: neither can be chosen.
    const forms = new Map();
    for (const entry of certificates) {
      const form = String(entry.file).normalize('NFC');
      forms.set(form, (forms.get(form) || 0) + 1);
    }
    const isTwin = (entry) => forms.get(String(entry.file).normalize('NFC')) > 1;
    const readyFiles = certificates.filter((entry) => entry.status === 'ready' && !isTwin(entry)).map((entry) => entry.file);
    const options = [new Option(readyFiles.length > 0 ? 'Selecione' : 'Nenhum certificado disponível', '')];
    for (const entry of certificates) {
      const twin = isTwin(entry);
      const ready = entry.status === 'ready' && !twin;
      const label = displayName(entry.file) + (ready ? '' : ' — ' + (twin ? reasons.twin : reasons[entry.status] || 'indisponível'));
      const option = new Option(label, entry.file, false, ready && entry.file === chosen);
      option.disabled = !ready;
      options.push(option);
    }
    select.replaceChildren(...options);
    updateReasons(certificates, reasons);
    if (chosen && !readyFiles.includes(chosen)) {
      select.value = '';
      announce('O certificado ' + displayName(chosen) + ' não está mais disponível na pasta.');
    } else if (!firstEvent) {
      announce('Lista de certificados atualizada.');
    }
  };

  /** Keeps the contra-chave, its origin note and the "Informe a contra-chave" box in step with the Status. */
  const updateContraChave = (status) => {
    if (typeof status.contraChave !== 'string') return;
    const field = $('#contra-chave');
    if (field && field.value !== status.contraChave) field.value = status.contraChave;
    const note = $('#contra-chave-origem');
    if (note && note.dataset.origin !== status.contraChaveOrigin && status.contraChaveOrigin === 'instalacao') {
      note.dataset.origin = status.contraChaveOrigin;
      note.classList.remove('text-alert');
      note.textContent = 'Contra-chave desta instalação.';
      const box = $('#contra-chave-instalacao');
      if (box && !box.querySelector('[aria-invalid="true"]')) box.hidden = true;
    }
  };

  const onStatus = (status) => {
    if (!status || typeof status !== 'object') return;
    updateContraChave(status);
    if (Array.isArray(status.certificates)) updateCertificates(status.certificates, status.chavesDir);
    if (typeof status.state !== 'string') return;
    const panel = $('#certificados');
    if (panel && panel.dataset.state !== status.state) {
      panel.dataset.state = status.state;
      // Nothing enabled any more: the enable form is the screen again, not a closed disclosure.
      const details = $('#substituir');
      if (details && status.state === 'disabled') details.open = true;
    }
    if (estadoKey(status) !== shownEstadoKey()) refreshEstado();
  };

  let events = null;

  const setupLiveUpdates = () => {
    // Only the screen listens: the login page has no session to listen with, the guide is read once.
    if (typeof window.EventSource !== 'function' || events || !$('#estado')) return;
    events = new EventSource(base + '/api/events');
    const handle = (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      onStatus(data);
    };
    events.addEventListener('status', handle);
    events.addEventListener('message', handle);
  };

  // An open stream keeps the page out of the back/forward cache; reopen it when the page comes back.
  window.addEventListener('pagehide', () => {
    if (events) events.close();
    events = null;
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) setupLiveUpdates();
  });

  setupCopy();
  setupPasswordToggles();
  setupIdentificador();
  setupLiveUpdates();
})();
