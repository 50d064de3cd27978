import { describe, expect, it } from 'vitest';
import { GROUP_LABELS, KNOWN_CODES, codesFromOutcome, explain, normalizeCode } from '../../module/rnds/dictionary.js';
import { RNDS_ERROR_GROUPS, type RndsErrorGroup } from '../../module/enums.js';

/** DOMAIN.md *RNDS errors: the codes that matter, and who acts*: each code and the group that resolves it. */
const DOMAIN_CODES: Record<RndsErrorGroup, string[]> = {
  credencial: ['EHR-ERR881', 'EHR-ERR883', 'EHR-ERR884', 'EHR-ERR833', 'EHR-ERR989', 'EHR-ERR880', 'EHR-ERR897', 'EHR-ERR899', 'EHR-ERR906', 'EHR-ERR879'],
  token: ['EHR-ERR882'],
  cidadao: ['EHR-ERR983', 'EHR-ERR985', 'EHR-ERR987', 'EHR-ERR934', 'EDS-MSG001'],
  'profissional-estabelecimento': ['EHR-ERR832', 'EHR-ERR901', 'EHR-ERR978', 'EHR-ERR900'],
  duplicado: ['EDS-MSG010', 'EHR-ERR866', 'EDS-MSG017', 'EHR-ERR823'],
  relogio: ['EHR-ERR807', 'EHR-ERR808', 'EHR-ERR830', 'EHR-ERR974'],
  'atualizar-pec': ['VAL-PROFILE', 'EHR-ERR887', 'EHR-ERR888', 'EHR-ERR922', 'EHR-ERR923', 'EHR-ERR924', 'EHR-ERR815', 'EHR-ERR819', 'EHR-ERR817'],
  'rnds-fora': ['EHR-ERR905', 'EHR-ERR992', 'EHR-ERR993', 'EHR-ERR994', 'EHR-ERR999'],
  govbr: ['EHR-ERR835', 'EHR-ERR907', 'EHR-ERR908', 'EHR-ERR909'],
  desconhecido: [],
};
const ALL_DOMAIN_CODES = Object.values(DOMAIN_CODES).flat();

const generic = explain('EHR-ERR000').action;

/** Words that only an English text would carry (pt-BR has none of them as words). */
const ENGLISH = /\b(the|and|please|error|not found|update|retry|should|must|check|your|with)\b/i;

describe('normalizeCode', () => {
  it.each([
    ['EHR-ERR983', 'EHR-ERR983'],
    ['ERR-EHR983', 'EHR-ERR983'],
    ['ERR983', 'EHR-ERR983'],
    ['err983', 'EHR-ERR983'],
    [' ehr-err983 ', 'EHR-ERR983'],
    ['EDS-MSG010', 'EDS-MSG010'],
    ['MSG010', 'EDS-MSG010'],
    ['msg010', 'EDS-MSG010'],
    ['VAL-PROFILE', 'VAL-PROFILE'],
    ['val-profile', 'VAL-PROFILE'],
    ['ERR1013', 'EHR-ERR1013'],
    ['EHR-ERR1010', 'EHR-ERR1010'],
  ])('when the code is written %j, then it is read as %s', (raw, expected) => {
    expect(normalizeCode(raw)).toBe(expected);
  });

  it.each(['', 'ERR', 'ERR98', 'ERR9831', 'EHR-ERRABC', 'Paciente não encontrado', '983', 'HTTP 401'])('when the text %j is not a code, then it is null', (raw) => {
    expect(normalizeCode(raw)).toBeNull();
  });

  it('when any spelling of one code is explained, then the advice is the same', () => {
    const advice = ['EHR-ERR983', 'ERR-EHR983', 'ERR983', 'err983'].map((code) => explain(code));
    for (const a of advice) expect(a).toEqual(advice[0]);
    expect(explain('MSG010')).toEqual(explain('EDS-MSG010'));
  });
});

describe('codesFromOutcome', () => {
  it('when RNDS answers a patient not found, then the code at the start of diagnostics is read', () => {
    const outcome = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'processing', diagnostics: '(EHR-ERR983) Paciente não encontrado: Patient/01100126660' }],
    };
    expect(codesFromOutcome(outcome)).toEqual(['EHR-ERR983']);
  });

  it('when RNDS refuses the identificador solicitante, then ERR881 is read and explained with the ATIVO ID SOLICITAÇÃO', () => {
    const outcome = {
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'security',
          diagnostics: '(EHR-ERR881) Você não possui autorização para utilizar esse sistema de origem: http://www.saude.gov.br/fhir/r4/NamingSystem/BRRNDS-3167',
        },
      ],
    };
    const [code] = codesFromOutcome(outcome);
    expect(code).toBe('EHR-ERR881');
    const advice = explain(code!);
    expect(advice.group).toBe('credencial');
    expect(advice.action).toContain('identificador solicitante');
    expect(advice.action).toContain('ID SOLICITAÇÃO');
    expect(advice.action).toContain('ATIVO');
    expect(advice.action).toContain('e-Gestor AB › Credenciais geradas');
  });

  it('when the code comes in details.coding, a state page spelling, or as the validator writes it, then each is read', () => {
    const outcome = {
      resourceType: 'OperationOutcome',
      issue: [
        { severity: 'error', code: 'invalid', details: { coding: [{ system: 'http://www.saude.gov.br/fhir/r4/CodeSystem/BRErro', code: 'ERR-EHR832' }] } },
        { severity: 'error', code: 'processing', diagnostics: '(VAL-PROFILE) Unable to find matching profile for Bundle' },
        { severity: 'information', code: 'duplicate', diagnostics: '(EDS-MSG010) Identifier duplicado.' },
      ],
    };
    expect(codesFromOutcome(outcome)).toEqual(['EHR-ERR832', 'VAL-PROFILE', 'EDS-MSG010']);
  });

  it('when several issues repeat a code, then it is listed once, in the order of first appearance', () => {
    const outcome = {
      resourceType: 'OperationOutcome',
      issue: [
        { severity: 'error', code: 'processing', diagnostics: '(EHR-ERR978) Autor não encontrado' },
        { severity: 'error', code: 'processing', diagnostics: '(EHR-ERR832) PractitionerRole não encontrado' },
        { severity: 'error', code: 'processing', diagnostics: '(ehr-err978) Autor não encontrado', details: { coding: [{ code: 'EHR-ERR978' }] } },
      ],
    };
    expect(codesFromOutcome(outcome)).toEqual(['EHR-ERR978', 'EHR-ERR832']);
  });

  it.each([
    ['null', null],
    ['a string', '(EHR-ERR983) Paciente não encontrado'],
    ['an HTML page', '<html><body>502 Bad Gateway</body></html>'],
    ['an object without issue', { resourceType: 'OperationOutcome' }],
    ['issue not an array', { issue: { diagnostics: '(EHR-ERR983) x' } }],
    ['issues of the wrong types', { issue: [null, 42, 'x', { diagnostics: 7, details: { coding: 'ERR983' } }, { details: { coding: [null, { code: 5 }] } }] }],
    ['diagnostics without a code', { issue: [{ diagnostics: 'Paciente não encontrado (EHR-ERR983)' }, { diagnostics: '(Aviso) nada' }] }],
    ['the token endpoint JSON', { code: 'EHR-ERR882', message: 'JWT expired' }],
  ])('when the body is %s, then no code is read and nothing throws', (_name, body) => {
    expect(codesFromOutcome(body)).toEqual([]);
  });
});

describe('explain', () => {
  it('covers at least the ~40 codes of DOMAIN.md', () => {
    expect(ALL_DOMAIN_CODES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(ALL_DOMAIN_CODES.map((code) => [code, (Object.keys(DOMAIN_CODES) as RndsErrorGroup[]).find((g) => DOMAIN_CODES[g].includes(code))!]))(
    'when %s is explained, then it is known, in group %s, with its own advice and title',
    (code, group) => {
      const advice = explain(code);
      expect(advice).toMatchObject({ code, known: true, group, groupLabel: GROUP_LABELS[group] });
      expect(advice.action).not.toBe(generic);
      expect(advice.action.length).toBeGreaterThan(40);
      expect(advice.title).toEqual(expect.any(String));
    },
  );

  it('when JWT expired (ERR882) is explained, then the token group says the system renews it', () => {
    expect(explain('EHR-ERR882')).toMatchObject({ group: 'token', groupLabel: GROUP_LABELS.token });
    expect(explain('EHR-ERR882').action).toMatch(/novo token/);
  });

  it('when a code says who acts, then its advice names where: e-Gestor AB, CADSUS, SCNES and the CNES XML, NTP, the PEC update', () => {
    for (const code of DOMAIN_CODES.credencial) expect(explain(code).action, code).toMatch(/e-Gestor AB|SCNES/);
    for (const code of DOMAIN_CODES.cidadao) expect(explain(code).action, code).toContain('Sincronizar com Cadsus');
    for (const code of DOMAIN_CODES['profissional-estabelecimento']) expect(explain(code).action, code).toMatch(/SCNES.*XML do CNES/);
    for (const code of DOMAIN_CODES.relogio) {
      expect(explain(code).action, code).toContain('timedatectl set-ntp true');
      expect(explain(code).action, code).toContain('w32tm /resync');
      expect(explain(code).action, code).toContain('fuso');
    }
    for (const code of DOMAIN_CODES['atualizar-pec']) expect(explain(code).action, code).toMatch(/Atualize o PEC|atualize o PEC/);
    for (const code of DOMAIN_CODES.duplicado) expect(explain(code).action, code).toMatch(/conta como enviado/);
    for (const code of DOMAIN_CODES.govbr) expect(explain(code).action, code).toContain('gov.br');
    expect(explain('EHR-ERR987').action).toContain('DNV');
  });

  it('when a code is unknown, then the generic advice is given, known is false and the text given is kept as the code', () => {
    for (const raw of ['EHR-ERR123', 'MSG999', 'XPTO-1', '  algo estranho ']) {
      const advice = explain(raw);
      expect(advice).toMatchObject({ known: false, group: 'desconhecido', groupLabel: GROUP_LABELS.desconhecido, title: null, action: generic });
      expect(advice.code).toBe(normalizeCode(raw) ?? raw.trim());
    }
    expect(generic).toMatch(/mensagem da RNDS/);
  });

  it('when any advice or label is read, then it is pt-BR and not empty', () => {
    const texts = [
      ...ALL_DOMAIN_CODES.flatMap((code) => [explain(code).action, explain(code).title ?? '']),
      generic,
      ...RNDS_ERROR_GROUPS.map((group) => GROUP_LABELS[group]),
    ];
    for (const text of texts) {
      expect(text.trim(), text).not.toBe('');
      expect(text, text).not.toMatch(ENGLISH);
      // Plain text: the CSV and the screen show it as it is.
      expect(text, text).not.toMatch(/[`*]/);
    }
    // Every action is a few pt-BR sentences: each carries an accented letter.
    for (const code of ALL_DOMAIN_CODES) expect(explain(code).action, code).toMatch(/[ãáâçéêíóôõú]/i);
  });
});

describe('explain with what the installation knows', () => {
  it('when ERR881 is explained with the enabled identificador solicitante, then the advice names it', () => {
    const advice = explain('ERR881', { identificadorSolicitante: '3167' });
    expect(advice.action).toContain('recusou o identificador solicitante 3167 com que o PEC enviou (BRRNDS-3167)');
    expect(advice.action).toContain('ID SOLICITAÇÃO da credencial com STATUS ATIVO');
    expect(advice).toMatchObject({ code: 'EHR-ERR881', group: 'credencial', known: true });
  });

  it('when the identificador is missing or not digits, or the code is another, then the advice is the plain one', () => {
    const plain = explain('ERR881').action;
    expect(plain).toContain('(BRRNDS-…)');
    expect(explain('ERR881', { identificadorSolicitante: null }).action).toBe(plain);
    expect(explain('ERR881', { identificadorSolicitante: '<b>3167</b>' }).action).toBe(plain);
    expect(explain('ERR983', { identificadorSolicitante: '3167' })).toEqual(explain('ERR983'));
  });
});

/**
 * What the catalogue says (CodeSystem http://www.saude.gov.br/fhir/r4/CodeSystem/RNDSErros, from the *Lista de Mensagens
 * e Erros Apresentados pela RNDS* v3.0): for codes whose title was once written from memory, the words of the
 * catalogue's display or definition that the title must carry.
 */
const CATALOGUE_MEANING: [code: string, title: RegExp][] = [
  ['EHR-ERR888', /tipo de documento/i], // "O tipo de documento EHR é inválido."
  ['EHR-ERR887', /profile/i], // "É obrigatório informar o profile ao enviar um documento."
  ['EHR-ERR880', /enviar documentos.*UF/i], // "Você não possui autorização para enviar documentos para esta UF."
  ['EHR-ERR897', /autores.*estabelecimentos/i], // "… cadastrar documentos para os seguintes autores/estabelecimentos"
  ['EHR-ERR899', /contexto de atendimento/i], // "Só é permitido solicitar contexto de atendimento para …"
  ['EHR-ERR882', /token.*inválido/i], // "O token de certificado usado para autorizar o acesso não é válido."
  ['EHR-ERR807', /timestamp.*anterior/i], // "O campo timestamp do Bundle não pode ter data anterior à data atual."
  ['EHR-ERR808', /timestamp.*posterior/i],
  ['EHR-ERR830', /data futura/i], // "Data futura inválida"
  ['EHR-ERR974', /posterior à data atual/i], // "A data deve ser igual ou menor que a data atual"
  ['EHR-ERR823', /^Informação já existe no repositório/], // "Informação referente ao item … já existe no repositório."
  ['EHR-ERR817', /paciente e UF/i], // "… no máximo {0} imunizações … por paciente e por UF."
  ['EHR-ERR907', /gov\.br expirado/i], // "Token gov.br expirado!"
  ['EHR-ERR908', /gov\.br inválido/i], // "Token gov.br inválido!"
  ['EHR-ERR909', /sistema/i], // "Sistema solicitante do token não possui autorização"
  ['EHR-ERR994', /comunicação/i], // "Erro ao tentar estabelecer comunicação com o EHR Data Services"
  ['EHR-ERR999', /cache/i], // "Não há conectividade com o banco de dados de cache"
  ['EHR-ERR1013', /lote/i], // "O Campo Lote (Immunization.lotNumber) deve ser obrigatório …"
];

/** CONTRACT.md *Sends*: the only codes whose group makes a send other than DADOS_INVALIDOS. */
const CONTRACT_STATUS_CODES: Partial<Record<RndsErrorGroup, string[]>> = {
  duplicado: ['EDS-MSG010', 'EHR-ERR866', 'EDS-MSG017', 'EHR-ERR823'],
  credencial: ['EHR-ERR880', 'EHR-ERR881', 'EHR-ERR883', 'EHR-ERR884', 'EHR-ERR833', 'EHR-ERR879', 'EHR-ERR897', 'EHR-ERR899', 'EHR-ERR906', 'EHR-ERR989'],
  'rnds-fora': ['EHR-ERR905', 'EHR-ERR992', 'EHR-ERR993', 'EHR-ERR994', 'EHR-ERR999'],
};

describe('the dictionary against the RNDS catalogue', () => {
  it('when every known code is explained, then its title and its advice carry no placeholder of RNDS text', () => {
    expect(KNOWN_CODES.length).toBeGreaterThan(ALL_DOMAIN_CODES.length);
    for (const code of KNOWN_CODES) {
      const { title, action } = explain(code);
      expect(title, code).toEqual(expect.any(String));
      for (const text of [title!, action]) expect(text, code).not.toMatch(/[{}]|\$\{/);
    }
  });

  it.each(CATALOGUE_MEANING)('when %s is explained, then its title says what the catalogue means (%s)', (code, meaning) => {
    expect(explain(code).title).toMatch(meaning);
  });

  it('when ERR907 and ERR908 are explained, then each says its own case: expired asks a new login, invalid a login again', () => {
    expect(explain('ERR907').action).toMatch(/venceu/);
    expect(explain('ERR908').action).toMatch(/não foi aceito/);
    expect(explain('ERR909').action).not.toMatch(/conta gov\.br do profissional não/);
  });

  it('when a code is outside the contract lists, then its group leaves the send DADOS_INVALIDOS (no duplicate, credential or RNDS down)', () => {
    for (const group of ['duplicado', 'credencial', 'rnds-fora'] as const) {
      expect(KNOWN_CODES.filter((code) => explain(code).group === group).sort(), group).toEqual([...CONTRACT_STATUS_CODES[group]!].sort());
    }
  });

  it('when any code beyond DOMAIN.md is explained, then its advice is pt-BR, says who acts and names where', () => {
    const extra = KNOWN_CODES.filter((code) => !ALL_DOMAIN_CODES.includes(code));
    expect(extra.length).toBeGreaterThan(0);
    for (const code of extra) {
      const advice = explain(code);
      expect(advice.known, code).toBe(true);
      expect(advice.action, code).not.toBe(generic);
      expect(advice.action, code).toMatch(/[ãáâçéêíóôõú]/i);
      expect(`${advice.title} ${advice.action}`, code).not.toMatch(ENGLISH);
      const where = { cidadao: /Sincronizar com Cadsus/, 'profissional-estabelecimento': /SCNES.*XML do CNES/, relogio: /timedatectl set-ntp true/, 'atualizar-pec': /tualize o PEC/ } as Partial<Record<RndsErrorGroup, RegExp>>;
      expect(advice.action, code).toMatch(where[advice.group] ?? /./);
    }
  });

  it('when a vaccine answer carries a four-digit code, then it is read and explained', () => {
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: '(EHR-ERR1010) A data de Administração do Imunobiológico não possa ser maior que o dia vigente.' }] };
    expect(codesFromOutcome(outcome)).toEqual(['EHR-ERR1010']);
    expect(explain('EHR-ERR1010')).toMatchObject({ known: true, group: 'relogio' });
  });
});
