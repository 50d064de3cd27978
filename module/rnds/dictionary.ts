import type { RndsErrorGroup } from '../enums.js';

/**
 * The RNDS error dictionary: an RNDS code (`EHR-ERR983`, `EDS-MSG010`, `VAL-PROFILE`, also written `ERR-EHR983` or a
 * bare `ERR983`) → what to do, in pt-BR, and who must do it. Source: the official catalogue *Lista de Mensagens e
 * Erros Apresentados pela RNDS* (v3.0, 20/09/2024) and the SAPS technical note on vaccine record correction (2024).
 *
 * The group also decides a send's status (CONTRACT.md *Sends*): `duplicado` counts as delivered, `credencial` is a
 * refused credential, `rnds-fora` is no connection; any other code is invalid data.
 */

/** Who resolves an error, as the tab, the report and the CSV's *Quem resolve* column say it. */
export const GROUP_LABELS: Record<RndsErrorGroup, string> = {
  credencial: 'Credencial (administrador, e-Gestor AB)',
  token: 'Sistema (renovar o token)',
  cidadao: 'Cadastro do cidadão (UBS, CADSUS)',
  'profissional-estabelecimento': 'Profissional ou estabelecimento (SCNES)',
  relogio: 'Relógio do servidor (instalador)',
  'atualizar-pec': 'Atualizar o PEC (suporte do PEC)',
  'rnds-fora': 'RNDS fora do ar (aguardar)',
  govbr: 'Conta gov.br do profissional',
  duplicado: 'Duplicado: já está na RNDS',
  desconhecido: 'Suporte (código não catalogado)',
};

export interface Advice {
  /** The code as RNDS's catalogue writes it (`EHR-ERR983`), or the text given when it is not a code. */
  code: string;
  /** Whether the catalogue lists the code; an unknown code gets the generic advice and keeps RNDS's own text. */
  known: boolean;
  group: RndsErrorGroup;
  /** *Quem resolve*. */
  groupLabel: string;
  /**
   * What the code means, in a few pt-BR words (the tab's count per code names it so); null for an unknown code, whose
   * meaning only RNDS's own text gives.
   */
  title: string | null;
  /** *O que fazer*, pt-BR. */
  action: string;
}

interface Entry {
  group: RndsErrorGroup;
  title: string;
  action: string;
  /** The action naming what the installation knows (its identificador solicitante), when it is given. */
  actionFor?: (context: AdviceContext) => string | null;
}

/** What the installation knows that makes an advice specific (the Status's problem names the identificador). */
export interface AdviceContext {
  /** The enabled identificador solicitante (digits). */
  identificadorSolicitante?: string | null;
}

// The shared parts of the advice, so that codes with one cause say it in the same words.
const CREDENCIAIS = 'e-Gestor AB › Credenciais geradas';
const NEW_CREDENTIAL = `confira em ${CREDENCIAIS} se a credencial usada está com STATUS ATIVO e é de produção; se estiver REVOGADA, pendente ou não aparecer, solicite uma nova credencial (com a contra-chave desta instalação) e habilite de novo o certificado no PEC com o novo identificador solicitante`;
const IMPORT_CNES = 'importe no PEC o XML do CNES mais recente (baixado do SCNES; no PEC, Administração › Importar CNES)';
const CITIZEN = 'Na UBS, abra o cadastro do cidadão no PEC, busque-o no CADSUS (por CPF, nome e data de nascimento) e use “Sincronizar com Cadsus”; se houver cadastros duplicados, unifique-os';
const RESEND = 'Depois finalize o atendimento ou o registro de novo para que o PEC o reenvie.';
const CLOCK = 'Acerte a data, a hora e o fuso horário do servidor do PEC e mantenha-os sincronizados por NTP (Linux: timedatectl set-ntp true e timedatectl set-timezone America/Sao_Paulo, ou o fuso do município; Windows: w32tm /resync e o fuso em Configurações › Data e hora). A RNDS não tolera diferença de relógio';
const UPDATE_PEC = 'Atualize o PEC para a versão mais recente (a RNDS muda as regras dos modelos e o PEC acompanha)';
const RNDS_DOWN_ACTION = 'A RNDS está fora do ar ou não respondeu a tempo: nada a corrigir aqui; o PEC envia de novo mais tarde (ou o registro segue pelo centralizador). Se durar horas e acontecer também em outros municípios, é da RNDS, não local.';

function identificadorAdvice(id: string | null): string {
  return (
    `A RNDS recusou o identificador solicitante${id ? ` ${id}` : ''} com que o PEC enviou (BRRNDS-${id ?? '…'}): ele está errado ou é de uma credencial REVOGADA. ` +
    `Em ${CREDENCIAIS}, use o ID SOLICITAÇÃO da credencial com STATUS ATIVO (não o Nº Solicitação de outro pedido nem um ID de credencial revogada) ` +
    'e habilite de novo o certificado no PEC, em Gestão municipal › Certificados, com esse identificador solicitante.'
  );
}

const DUPLICATE = (title: string): Entry => ({ group: 'duplicado', title, action: 'O registro já está na RNDS: conta como enviado. Não envie de novo nem o corrija por este código.' });
const CREDENTIAL = (title: string, action: string): Entry => ({ group: 'credencial', title, action });
const RNDS_DOWN = (title: string): Entry => ({ group: 'rnds-fora', title, action: RNDS_DOWN_ACTION });
const ENTRY = (group: RndsErrorGroup, title: string, action: string): Entry => ({ group, title, action });

/**
 * The catalogue, keyed by the normalised code (source: *Lista de Mensagens e Erros Apresentados pela RNDS*, v3.0,
 * 20/09/2024, as published in RNDS's FHIR guide: CodeSystem `http://www.saude.gov.br/fhir/r4/CodeSystem/RNDSErros`).
 * The codes that decide a status (CONTRACT.md *Sends*) are all here with their group. ERR974 is not in that
 * CodeSystem: it comes from the SAPS note on vaccine records (a date or time refused, the clock).
 */
const ENTRIES: Record<string, Entry> = {
  // Duplicates: already in RNDS, count as delivered (CONTRACT.md: EDS-MSG010, EHR-ERR866, MSG017, ERR823).
  'EDS-MSG010': DUPLICATE('Identificador duplicado'),
  'EHR-ERR866': DUPLICATE('Identificador já utilizado'),
  'EDS-MSG017': DUPLICATE('Documento já existe'),
  'EHR-ERR823': DUPLICATE('Documento já existe no repositório'),

  // The credential (CONTRACT.md: ERR880, 881, 883, 884, 833, 879, 897, 899, 906, 989): the administrator, in e-Gestor AB.
  'EHR-ERR881': {
    ...CREDENTIAL('Identificador solicitante não autorizado', identificadorAdvice(null)),
    actionFor: ({ identificadorSolicitante: id }) => (id && /^\d{1,20}$/.test(id) ? identificadorAdvice(id) : null),
  },
  'EHR-ERR883': CREDENTIAL('Credencial sem sistemas autorizados', `O token da RNDS não tem sistema autorizado: a credencial não foi aprovada, foi revogada ou é de outro ambiente (homologação × produção). ${NEW_CREDENTIAL}.`),
  'EHR-ERR884': CREDENTIAL('Token não autorizado', `A RNDS não autorizou o token emitido para este certificado: a credencial foi revogada, não está ativa ou é de outro ambiente. ${NEW_CREDENTIAL}.`),
  'EHR-ERR833': CREDENTIAL('Sistema solicitante não autorizado', `O sistema solicitante não está autorizado na RNDS. ${NEW_CREDENTIAL}.`),
  'EHR-ERR989': CREDENTIAL('Acesso não autorizado (EHR Data Services)', `A RNDS recusou o acesso (HTTP 401) aos serviços de dados: o certificado ou a credencial não valem para este ambiente. ${NEW_CREDENTIAL}.`),
  'EHR-ERR880': CREDENTIAL(
    'Credencial de outra UF',
    `A credencial não permite enviar documentos para esta UF: cada credencial vale para um estado, e o PEC deve enviar ao servidor da RNDS desse estado ({uf}-ehr-services). Confira em ${CREDENCIAIS} a UF da credencial e a UF configurada no PEC; se forem diferentes, solicite a credencial para a UF do município e habilite-a.`,
  ),
  'EHR-ERR897': CREDENTIAL(
    'Estabelecimento fora da credencial',
    `A unidade (CNES) do registro não está entre os estabelecimentos da credencial. Em ${CREDENCIAIS}, confira as UBSs incluídas; se faltar esta, solicite uma nova credencial que a inclua e habilite-a no PEC. Confira também o CNES da unidade no SCNES e ${IMPORT_CNES}.`,
  ),
  'EHR-ERR899': CREDENTIAL(
    'Estabelecimento não autorizado para a credencial',
    `A unidade (CNES) do registro não está autorizada para esta credencial. Em ${CREDENCIAIS}, confira as UBSs incluídas; se faltar esta, solicite uma nova credencial que a inclua e habilite-a no PEC. Confira também o CNES da unidade no SCNES e ${IMPORT_CNES}.`,
  ),
  'EHR-ERR906': CREDENTIAL(
    'Profissional sem vínculo (CBO) autorizado',
    `O profissional do registro não tem, no estabelecimento, um vínculo com CBO autorizado a enviar este registro à RNDS. Peça ao responsável pelo SCNES do município que corrija o vínculo (CBO e estabelecimento) do profissional; depois ${IMPORT_CNES} e finalize o registro de novo.`,
  ),
  'EHR-ERR879': CREDENTIAL(
    'Profissional sem vínculo autorizado no estabelecimento',
    `O profissional do registro não tem vínculo autorizado com o estabelecimento da credencial. Peça ao responsável pelo SCNES do município que corrija o vínculo (CBO e estabelecimento) do profissional; depois ${IMPORT_CNES} e finalize o registro de novo.`,
  ),

  // Token life: the software renews the token itself.
  'EHR-ERR882': ENTRY(
    'token',
    'Token expirado (JWT expired)',
    'O token de acesso venceu: o sistema pede um novo token e repete o envio uma vez, sem ação de ninguém. Se repetir sempre, o relógio do servidor pode estar errado: confira a data, a hora e o fuso (NTP).',
  ),

  // The citizen: the UBS, in CADSUS.
  'EHR-ERR983': ENTRY('cidadao', 'Paciente não encontrado', `O cidadão do registro não foi encontrado na base nacional (CADSUS) pelo CNS ou CPF enviado. ${CITIZEN}. ${RESEND}`),
  'EHR-ERR985': ENTRY('cidadao', 'Identificador do cidadão não é único', `O CNS ou CPF do cidadão corresponde a mais de um cadastro no CADSUS. ${CITIZEN}; se os cadastros não forem do mesmo cidadão, peça a correção ao gestor do CADSUS do município. ${RESEND}`),
  'EHR-ERR987': ENTRY('cidadao', 'Cidadão sem CNS definitivo', `O cidadão só tem CNS provisório (por exemplo, o da DNV do recém-nascido). ${CITIZEN}, até o cadastro ter o CNS definitivo; nunca envie o CNS provisório da DNV. ${RESEND}`),
  'EHR-ERR934': ENTRY('cidadao', 'Cadastro do cidadão inativo', `O cadastro do cidadão está inativo no CADSUS (unificado a outro ou cancelado). ${CITIZEN}, para que o PEC use o cadastro ativo. ${RESEND}`),
  'EDS-MSG001': ENTRY('cidadao', 'CNS não encontrado na base', `O CNS informado não existe na base nacional. Confira o número no cartão ou no documento do cidadão; ${CITIZEN.charAt(0).toLowerCase()}${CITIZEN.slice(1)}. ${RESEND}`),

  // The professional or the unit: SCNES, imported into PEC.
  'EHR-ERR832': ENTRY(
    'profissional-estabelecimento',
    'Profissional ou lotação não encontrado (PractitionerRole)',
    `A lotação do profissional (profissional + CBO + estabelecimento) não existe no CNES nacional. Confira no SCNES o vínculo do profissional com a unidade e o CBO usado no atendimento; corrija no SCNES se preciso, ${IMPORT_CNES} e finalize o registro de novo.`,
  ),
  'EHR-ERR901': ENTRY(
    'profissional-estabelecimento',
    'Profissional não encontrado',
    `O profissional do registro (CNS ou CPF) não foi encontrado no CNES nacional. Confira o cadastro dele no SCNES e no PEC (mesmo CNS/CPF); corrija no SCNES se preciso, ${IMPORT_CNES} e finalize o registro de novo.`,
  ),
  'EHR-ERR978': ENTRY(
    'profissional-estabelecimento',
    'Autor não encontrado',
    `O autor do registro (o profissional que o assinou) não foi encontrado no CNES nacional. Confira o profissional e a sua lotação na unidade no SCNES; corrija no SCNES se preciso, ${IMPORT_CNES} e finalize o registro de novo.`,
  ),
  'EHR-ERR900': ENTRY(
    'profissional-estabelecimento',
    'Estabelecimento de saúde não encontrado',
    `O CNES da unidade do registro não foi encontrado no CNES nacional. Confira no SCNES se a unidade está cadastrada e ativa com esse número; corrija no SCNES se preciso e ${IMPORT_CNES}.`,
  ),

  // The server clock: the installer.
  'EHR-ERR807': ENTRY('relogio', 'Data do documento anterior ao permitido', `A data e hora do documento (Bundle.timestamp) não batem com o relógio da RNDS: o relógio do servidor do PEC está errado. ${CLOCK}.`),
  'EHR-ERR808': ENTRY('relogio', 'Data do documento posterior ao momento do envio', `A data e hora do documento (Bundle.timestamp) está no futuro para a RNDS: o relógio do servidor do PEC está adiantado ou com o fuso errado. ${CLOCK}.`),
  'EHR-ERR830': ENTRY('relogio', 'Data posterior à data atual', `O registro tem uma data posterior a hoje para a RNDS: o relógio ou o fuso do servidor do PEC está errado (ou a data foi digitada no futuro). ${CLOCK}.`),
  'EHR-ERR974': ENTRY('relogio', 'Data ou hora do registro recusada', `A RNDS recusou uma data ou hora do registro: confira o relógio e o fuso do servidor do PEC. ${CLOCK}.`),

  // The software: update PEC.
  'VAL-PROFILE': ENTRY(
    'atualizar-pec',
    'Documento fora do perfil da RNDS',
    `O documento enviado não segue o modelo (perfil FHIR) que a RNDS espera hoje. ${UPDATE_PEC}; se continuar acontecendo na versão mais recente, abra um chamado no suporte do PEC com o código e a mensagem.`,
  ),
  'EHR-ERR887': ENTRY('atualizar-pec', 'Profile obrigatório ao enviar um documento', `O documento foi enviado sem um perfil (profile) FHIR válido. ${UPDATE_PEC}; se persistir, abra um chamado no suporte do PEC com o código e a mensagem.`),
  'EHR-ERR888': ENTRY('atualizar-pec', 'Tipo de documento EHR inválido', `O tipo de documento enviado não está cadastrado na RNDS. ${UPDATE_PEC}; se persistir, abra um chamado no suporte do PEC com o código e a mensagem.`),
  'EHR-ERR922': ENTRY('atualizar-pec', 'Composition obrigatório como primeiro item', `O documento não começa pelo Composition, como a RNDS exige. ${UPDATE_PEC}; se persistir, abra um chamado no suporte do PEC com o código e a mensagem.`),
  'EHR-ERR923': ENTRY('atualizar-pec', 'Tipo de Bundle incorreto', `O documento foi enviado com um tipo de Bundle que a RNDS não aceita. ${UPDATE_PEC}; se persistir, abra um chamado no suporte do PEC com o código e a mensagem.`),
  'EHR-ERR924': ENTRY('atualizar-pec', 'Status do documento incorreto', `O documento foi enviado com um status que a RNDS não aceita. ${UPDATE_PEC}; se persistir, abra um chamado no suporte do PEC com o código e a mensagem.`),
  'EHR-ERR815': ENTRY('atualizar-pec', 'Código inativo na terminologia', `O registro usa um código (de vacina, procedimento ou outro) que a RNDS desativou. ${UPDATE_PEC}, que traz as tabelas atuais, e registre de novo com um código vigente.`),
  'EHR-ERR819': ENTRY('atualizar-pec', 'Código de imunobiológico inválido', `O código do imunobiológico (vacina) do registro não é válido para a RNDS. ${UPDATE_PEC}, que traz a tabela atual de imunobiológicos, e confira a vacina e o lote registrados.`),
  'EHR-ERR817': ENTRY('atualizar-pec', 'Limite de doses ultrapassado', `A RNDS já tem para este cidadão todas as doses permitidas deste imunobiológico: confira na caderneta se a dose não foi registrada duas vezes ou com a dose errada, corrija o registro e ${UPDATE_PEC.charAt(0).toLowerCase()}${UPDATE_PEC.slice(1)}.`),

  // RNDS itself (CONTRACT.md: ERR905, 992, 993, 994, 999): wait.
  'EHR-ERR905': RNDS_DOWN('Erro inesperado na RNDS'),
  'EHR-ERR992': RNDS_DOWN('Tempo esgotado na RNDS'),
  'EHR-ERR993': RNDS_DOWN('EHR Data Services indisponível'),
  'EHR-ERR994': RNDS_DOWN('EHR Data Services indisponível'),
  'EHR-ERR999': RNDS_DOWN('Erro interno da RNDS'),

  // gov.br: the professional's account, not the certificate.
  'EHR-ERR835': ENTRY('govbr', 'Selos de confiabilidade insuficientes', 'A conta gov.br do profissional não tem o nível (selos de confiabilidade) exigido: o profissional deve elevar o nível da conta gov.br (prata ou ouro) em acesso.gov.br. O certificado do município não tem relação com este erro.'),
  'EHR-ERR907': ENTRY('govbr', 'Token gov.br inválido', 'O login gov.br do profissional não foi aceito: o profissional deve sair e entrar de novo com a conta gov.br. O certificado do município não tem relação com este erro.'),
  'EHR-ERR908': ENTRY('govbr', 'Token gov.br expirado', 'O login gov.br do profissional venceu: o profissional deve entrar de novo com a conta gov.br e repetir a operação. O certificado do município não tem relação com este erro.'),
  'EHR-ERR909': ENTRY('govbr', 'Token gov.br não autorizado', 'A conta gov.br do profissional não foi autorizada para esta operação: o profissional deve entrar de novo e conferir o nível da conta em gov.br. O certificado do município não tem relação com este erro.'),
};

const GENERIC: Omit<Entry, 'title'> = {
  group: 'desconhecido',
  action: 'Código fora do catálogo da RNDS conhecido por este módulo: leia a mensagem da RNDS ao lado e, se não souber o que fazer, envie-a ao suporte do PEC.',
};

/**
 * The catalogue's spelling of a code, or null when the text is not one: `ERR-EHR983`, `err983`, `EHR-ERR983` →
 * `EHR-ERR983`; `MSG010`, `EDS-MSG010` → `EDS-MSG010`; `VAL-PROFILE` as is.
 */
export function normalizeCode(raw: string): string | null {
  const text = raw.trim().toUpperCase();
  if (text === 'VAL-PROFILE') return text;
  const err = /^(?:EHR-ERR|ERR-EHR|ERR)-?(\d{3})$/.exec(text);
  if (err) return `EHR-ERR${err[1]}`;
  const msg = /^(?:EDS-MSG|MSG-EDS|MSG)-?(\d{3})$/.exec(text);
  if (msg) return `EDS-MSG${msg[1]}`;
  return null;
}

/**
 * The codes of an answer from the RNDS services (a FHIR OperationOutcome, as received): the `(CODE)` at the start of
 * each `issue.diagnostics`, and each `issue.details.coding[].code`; normalised, each once, in order.
 */
export function codesFromOutcome(outcome: unknown): string[] {
  const codes = new Set<string>();
  const issues = isObject(outcome) && Array.isArray(outcome.issue) ? outcome.issue : [];
  for (const issue of issues) {
    if (!isObject(issue)) continue;
    if (typeof issue.diagnostics === 'string') {
      const lead = /^\s*\(([A-Za-z-]+\d*|VAL-PROFILE)\)/i.exec(issue.diagnostics);
      const code = lead ? normalizeCode(lead[1]!) : null;
      if (code) codes.add(code);
    }
    const coding = isObject(issue.details) && Array.isArray(issue.details.coding) ? issue.details.coding : [];
    for (const c of coding) {
      const code = isObject(c) && typeof c.code === 'string' ? normalizeCode(c.code) : null;
      if (code) codes.add(code);
    }
  }
  return [...codes];
}

/**
 * What to do about a code and who does it; any text is accepted (an unknown code gets the generic advice). With a
 * `context`, the advice names what the installation knows (ERR881: the identificador solicitante refused).
 */
export function explain(rawCode: string, context: AdviceContext = {}): Advice {
  const code = normalizeCode(rawCode);
  const entry = code === null ? undefined : ENTRIES[code];
  const { group } = entry ?? GENERIC;
  const action = entry?.actionFor?.(context) ?? (entry ?? GENERIC).action;
  return { code: code ?? rawCode.trim(), known: entry !== undefined, group, groupLabel: GROUP_LABELS[group], title: entry?.title ?? null, action };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
