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

function lowerFirst(text: string): string {
  return `${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

// The shared parts of the advice, so that codes with one cause say it in the same words.
const CREDENCIAIS = 'e-Gestor AB › Credenciais geradas';
const NEW_CREDENTIAL = `confira em ${CREDENCIAIS} se a credencial usada está com STATUS ATIVO e é de produção; se estiver REVOGADA, pendente ou não aparecer, solicite uma nova credencial (com a contra-chave desta instalação) e habilite de novo o certificado no PEC com o novo identificador solicitante`;
const IMPORT_CNES = 'importe no PEC o XML do CNES mais recente (baixado do SCNES; no PEC, Administração › Importar CNES)';
const CITIZEN = 'Na UBS, abra o cadastro do cidadão no PEC, busque-o no CADSUS (por CPF, nome e data de nascimento) e use “Sincronizar com Cadsus”; se houver cadastros duplicados, unifique-os';
const RESEND = 'Depois finalize o atendimento ou o registro de novo para que o PEC o reenvie.';
const CLOCK = 'Acerte a data, a hora e o fuso horário do servidor do PEC e mantenha-os sincronizados por NTP (Linux: timedatectl set-ntp true e timedatectl set-timezone America/Sao_Paulo, ou o fuso do município; Windows: w32tm /resync e o fuso em Configurações › Data e hora). A RNDS não tolera diferença de relógio';
const UPDATE_PEC = 'Atualize o PEC para a versão mais recente (a RNDS muda as regras dos modelos e o PEC acompanha)';
const PEC_SUPPORT = 'se persistir, abra um chamado no suporte do PEC com o código e a mensagem.';
const VACCINE_LOT = `Na UBS, confira no registro da vacina o lote e o fabricante do imunobiológico e corrija-o (numa transcrição de caderneta, marque-a como tal); se estavam preenchidos, ${lowerFirst(UPDATE_PEC)}. ${RESEND}`;
const BIRTH_DEATH = `A data do atendimento não combina com a data de nascimento ou de óbito do cidadão na base nacional. Na UBS, confira a data do atendimento e, no cadastro do cidadão, a data de nascimento e se há óbito registrado; ${lowerFirst(CITIZEN)}; se o CADSUS estiver errado, peça a correção ao gestor do CADSUS do município. ${RESEND}`;
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
 * Each title says what the CodeSystem's `display` and `definition` say, without its `{0}` placeholders. VAL-PROFILE is
 * not in that CodeSystem: it is the FHIR validator's prefix.
 *
 * The codes that decide a status (CONTRACT.md *Sends*) are all here with their group, and only they are in the groups
 * `duplicado`, `credencial` and `rnds-fora`: a code added to one of those groups changes the status of its sends.
 */
const ENTRIES: Record<string, Entry> = {
  // Duplicates: already in RNDS, count as delivered (CONTRACT.md: EDS-MSG010, EHR-ERR866, MSG017, ERR823).
  'EDS-MSG010': DUPLICATE('Identificador duplicado'),
  'EHR-ERR866': DUPLICATE('Identificador já utilizado'),
  'EDS-MSG017': DUPLICATE('Documento já existe na base de dados'),
  'EHR-ERR823': DUPLICATE('Informação já existe no repositório'),

  // The credential (CONTRACT.md: ERR880, 881, 883, 884, 833, 879, 897, 899, 906, 989): the administrator, in e-Gestor AB.
  'EHR-ERR881': {
    ...CREDENTIAL('Identificador solicitante não autorizado', identificadorAdvice(null)),
    actionFor: ({ identificadorSolicitante: id }) => (id && /^\d{1,20}$/.test(id) ? identificadorAdvice(id) : null),
  },
  'EHR-ERR883': CREDENTIAL('Credencial sem sistemas autorizados', `O token da RNDS não tem sistema autorizado: a credencial não foi aprovada, foi revogada ou é de outro ambiente (homologação × produção). ${NEW_CREDENTIAL}.`),
  'EHR-ERR884': CREDENTIAL('Token não autorizado', `A RNDS não autorizou o token emitido para este certificado: a credencial foi revogada, não está ativa ou é de outro ambiente. ${NEW_CREDENTIAL}.`),
  'EHR-ERR833': CREDENTIAL('Sistema solicitante não autorizado', `O sistema solicitante não está autorizado na RNDS. ${NEW_CREDENTIAL}.`),
  'EHR-ERR989': CREDENTIAL('Acesso ao EHR Data Services não autorizado', `A RNDS recusou o acesso (HTTP 401) aos serviços de dados: o certificado ou a credencial não valem para este ambiente. ${NEW_CREDENTIAL}.`),
  'EHR-ERR880': CREDENTIAL(
    'Sem autorização para enviar documentos para esta UF',
    `A credencial não permite enviar documentos para esta UF: cada credencial vale para um estado, e o PEC deve enviar ao servidor da RNDS desse estado (o endereço começa pela sigla da UF, como sp-ehr-services). Confira em ${CREDENCIAIS} a UF da credencial e a UF configurada no PEC; se forem diferentes, solicite a credencial para a UF do município e habilite-a.`,
  ),
  'EHR-ERR897': CREDENTIAL(
    'Sem autorização para documentos destes autores ou estabelecimentos',
    `A credencial não autoriza documentos do autor (o profissional) ou da unidade (CNES) do registro. Em ${CREDENCIAIS}, confira as UBSs incluídas; se faltar esta, solicite uma nova credencial que a inclua e habilite-a no PEC. Confira também no SCNES o CNES da unidade e o vínculo do profissional com ela, e ${IMPORT_CNES}.`,
  ),
  'EHR-ERR899': CREDENTIAL(
    'Contexto de atendimento para estabelecimento fora da credencial',
    `A RNDS só gera o contexto de atendimento (a consulta ao histórico do cidadão na RNDS) para os estabelecimentos autorizados na credencial, e a unidade (CNES) pedida não está entre eles. Em ${CREDENCIAIS}, confira as UBSs incluídas; se faltar esta, solicite uma nova credencial que a inclua e habilite-a no PEC. Confira também o CNES da unidade no SCNES e ${IMPORT_CNES}.`,
  ),
  'EHR-ERR906': CREDENTIAL(
    'Profissional sem vínculo CBO autorizado nos estabelecimentos da credencial',
    `O profissional do registro não tem vínculo com CBO autorizado em nenhum dos estabelecimentos da credencial. Peça ao responsável pelo SCNES do município que corrija o vínculo (CBO e estabelecimento) do profissional; depois ${IMPORT_CNES} e finalize o registro de novo. Se o vínculo estiver certo numa unidade que não está na credencial, confira as UBSs em ${CREDENCIAIS} e solicite uma credencial que a inclua.`,
  ),
  'EHR-ERR879': CREDENTIAL(
    'Profissional sem vínculo CBO autorizado no CNES',
    `O profissional do registro não tem vínculo com CBO autorizado no estabelecimento (CNES) do registro. Peça ao responsável pelo SCNES do município que corrija o vínculo (CBO e estabelecimento) do profissional; depois ${IMPORT_CNES} e finalize o registro de novo.`,
  ),

  // Token life: the software renews the token itself.
  'EHR-ERR882': ENTRY(
    'token',
    'Token de certificado inválido',
    `O token de acesso do certificado não foi aceito, em geral porque venceu (JWT expired): o sistema pede um novo token e repete o envio uma vez, sem ação de ninguém. Se repetir sempre, o relógio do servidor pode estar errado: confira a data, a hora e o fuso (NTP). Se a mensagem da RNDS não falar de vencimento, ${NEW_CREDENTIAL}.`,
  ),

  // The citizen: the UBS, in CADSUS.
  'EHR-ERR983': ENTRY('cidadao', 'Paciente não encontrado', `O cidadão do registro não foi encontrado na base nacional (CADSUS) pelo CNS ou CPF enviado. ${CITIZEN}. ${RESEND}`),
  'EHR-ERR985': ENTRY('cidadao', 'Identificador do cidadão não é único', `O CNS ou CPF do cidadão corresponde a mais de um cadastro no CADSUS. ${CITIZEN}; se os cadastros não forem do mesmo cidadão, peça a correção ao gestor do CADSUS do município. ${RESEND}`),
  'EHR-ERR987': ENTRY('cidadao', 'Cidadão sem CNS definitivo', `O cidadão só tem CNS provisório (por exemplo, o da DNV do recém-nascido). ${CITIZEN}, até o cadastro ter o CNS definitivo; nunca envie o CNS provisório da DNV. ${RESEND}`),
  'EHR-ERR934': ENTRY('cidadao', 'Cadastro do cidadão inativo', `O cadastro do cidadão está inativo no CADSUS (unificado a outro ou cancelado). ${CITIZEN}, para que o PEC use o cadastro ativo. ${RESEND}`),
  'EDS-MSG001': ENTRY('cidadao', 'CNS não encontrado na base', `O CNS informado não existe na base nacional. Confira o número no cartão ou no documento do cidadão; ${lowerFirst(CITIZEN)}. ${RESEND}`),
  'EHR-ERR895': ENTRY('cidadao', 'CNS do paciente não encontrado no EHR Data Services', `O CNS do cidadão não foi encontrado na base da RNDS. Confira o número no cartão ou no documento do cidadão; ${lowerFirst(CITIZEN)}. ${RESEND}`),
  'EHR-ERR997': ENTRY(
    'cidadao',
    'Referência ao paciente inválida',
    `O registro identifica o cidadão de um jeito que a RNDS não aceita (CNS ou CPF ausente ou errado). Na UBS, confira o CNS e o CPF no cadastro do cidadão; ${lowerFirst(CITIZEN)}. ${RESEND} Se o cadastro estiver certo e o erro continuar, abra um chamado no suporte do PEC com o código e a mensagem.`,
  ),
  'EHR-ERR798': ENTRY('cidadao', 'Data de desfecho posterior ao óbito do cidadão', BIRTH_DEATH),
  'EHR-ERR799': ENTRY('cidadao', 'Data de desfecho anterior ao nascimento do cidadão', BIRTH_DEATH),
  'EHR-ERR800': ENTRY('cidadao', 'Data de admissão posterior ao óbito do cidadão', BIRTH_DEATH),
  'EHR-ERR801': ENTRY('cidadao', 'Data de admissão anterior ao nascimento do cidadão', BIRTH_DEATH),

  // The professional or the unit: SCNES, imported into PEC.
  'EHR-ERR832': ENTRY(
    'profissional-estabelecimento',
    'Referência não encontrada (em geral, a lotação do profissional)',
    `A RNDS não encontrou um dado a que o registro se refere (a mensagem da RNDS diz qual). Em geral é a lotação do profissional (profissional + CBO + estabelecimento), que não existe no CNES nacional: confira no SCNES o vínculo do profissional com a unidade e o CBO usado no atendimento; corrija no SCNES se preciso, ${IMPORT_CNES} e finalize o registro de novo. Numa vacina sem vacinador, o registro deve ser uma transcrição de caderneta; se for e o erro continuar, ${lowerFirst(UPDATE_PEC)}.`,
  ),
  'EHR-ERR901': ENTRY(
    'profissional-estabelecimento',
    'Profissional não encontrado',
    `O profissional do registro (CNS ou CPF) não foi encontrado no CNES nacional. Confira o cadastro dele no SCNES e no PEC (mesmo CNS/CPF); corrija no SCNES se preciso, ${IMPORT_CNES} e finalize o registro de novo.`,
  ),
  'EHR-ERR978': ENTRY(
    'profissional-estabelecimento',
    'Autor não encontrado',
    `O autor do registro (o profissional que o assinou) veio vazio ou não foi encontrado no CNES nacional. Confira no PEC se o profissional tem CNS ou CPF no cadastro, e no SCNES o profissional e a sua lotação na unidade; corrija no SCNES se preciso, ${IMPORT_CNES} e finalize o registro de novo.`,
  ),
  'EHR-ERR900': ENTRY(
    'profissional-estabelecimento',
    'Estabelecimento de saúde não encontrado',
    `O CNES da unidade do registro não foi encontrado no CNES nacional. Confira no SCNES se a unidade está cadastrada e ativa com esse número; corrija no SCNES se preciso e ${IMPORT_CNES}.`,
  ),
  'EHR-ERR821': ENTRY(
    'profissional-estabelecimento',
    'Profissional sem CRM',
    `A RNDS exige para este registro o número do conselho (CRM) do profissional, e o cadastro dele no CNES nacional não o tem. Peça ao responsável pelo SCNES do município que inclua o registro no conselho no cadastro do profissional; depois ${IMPORT_CNES} e finalize o registro de novo.`,
  ),

  // The server clock: the installer (a date typed in the future is the UBS's to correct).
  'EHR-ERR807': ENTRY('relogio', 'Timestamp do Bundle anterior à data atual', `A data e hora do envio do documento (Bundle.timestamp) ficou antes da hora da RNDS: o relógio do servidor do PEC está atrasado ou com o fuso errado. ${CLOCK}.`),
  'EHR-ERR808': ENTRY('relogio', 'Timestamp do Bundle posterior à data atual', `A data e hora do envio do documento (Bundle.timestamp) está no futuro para a RNDS: o relógio do servidor do PEC está adiantado ou com o fuso errado. ${CLOCK}.`),
  'EHR-ERR830': ENTRY('relogio', 'Data futura inválida (data da vacinação)', `A data da vacinação é posterior à data atual para a RNDS: o relógio ou o fuso do servidor do PEC está errado, ou a data foi digitada no futuro (então corrija o registro na UBS). ${CLOCK}.`),
  'EHR-ERR974': ENTRY('relogio', 'Data posterior à data atual', `Uma data do registro é posterior à data atual para a RNDS: o relógio ou o fuso do servidor do PEC está errado, ou a data foi digitada no futuro (então corrija o registro na UBS). ${CLOCK}.`),
  'EHR-ERR1010': ENTRY('relogio', 'Data de administração do imunobiológico no futuro', `A data da vacinação é posterior ao dia de hoje para a RNDS: o relógio ou o fuso do servidor do PEC está errado, ou a data foi digitada no futuro (então corrija o registro na UBS). ${CLOCK}.`),

  // The software: update PEC.
  'VAL-PROFILE': ENTRY(
    'atualizar-pec',
    'Documento fora do perfil da RNDS',
    `O documento enviado não segue o modelo (perfil FHIR) que a RNDS espera hoje. ${UPDATE_PEC}; se continuar acontecendo na versão mais recente, abra um chamado no suporte do PEC com o código e a mensagem.`,
  ),
  'EHR-ERR887': ENTRY('atualizar-pec', 'Profile obrigatório ao enviar um documento', `O documento foi enviado sem um perfil (profile) FHIR válido. ${UPDATE_PEC}; ${PEC_SUPPORT}`),
  'EHR-ERR888': ENTRY('atualizar-pec', 'Tipo de documento EHR inválido', `O tipo de documento enviado não está cadastrado na RNDS. ${UPDATE_PEC}; ${PEC_SUPPORT}`),
  'EHR-ERR922': ENTRY('atualizar-pec', 'Composition obrigatório como primeiro item', `O documento não começa pelo Composition, como a RNDS exige. ${UPDATE_PEC}; ${PEC_SUPPORT}`),
  'EHR-ERR923': ENTRY('atualizar-pec', 'Tipo de Bundle incorreto', `O documento foi enviado com um tipo de Bundle que a RNDS não aceita. ${UPDATE_PEC}; ${PEC_SUPPORT}`),
  'EHR-ERR924': ENTRY('atualizar-pec', 'Status do documento incorreto', `O documento foi enviado com um status que a RNDS não aceita. ${UPDATE_PEC}; ${PEC_SUPPORT}`),
  'EHR-ERR862': ENTRY('atualizar-pec', 'Perfil do documento inválido', `O documento foi enviado com um perfil (profile) FHIR que a RNDS não aceita. ${UPDATE_PEC}; ${PEC_SUPPORT}`),
  'EHR-ERR975': ENTRY('atualizar-pec', 'Data do documento obrigatória', `O documento foi enviado sem a sua data. ${UPDATE_PEC}; ${PEC_SUPPORT}`),
  'EHR-ERR831': ENTRY('atualizar-pec', 'Tipo de referência inválida para profissional de saúde', `O documento identifica o profissional de um jeito que a RNDS não aceita. ${UPDATE_PEC}; ${PEC_SUPPORT}`),
  'EHR-ERR824': ENTRY(
    'atualizar-pec',
    'Item repetido na requisição',
    `O documento enviado repete um mesmo item (por exemplo, a mesma vacina duas vezes no mesmo envio). Na UBS, confira se o registro não tem itens repetidos e corrija-o; se não tiver, ${lowerFirst(UPDATE_PEC)}; ${PEC_SUPPORT}`,
  ),
  'EHR-ERR815': ENTRY('atualizar-pec', 'Código inativo (em geral, o grupo de atendimento)', `O registro usa um código que a RNDS desativou (a mensagem diz qual; na vacina, em geral o grupo de atendimento). ${UPDATE_PEC}, que traz as tabelas atuais, e registre de novo com um código vigente.`),
  'EHR-ERR802': ENTRY('atualizar-pec', 'Código não definido para a competência', `O registro usa um código (em geral de procedimento, da tabela SIGTAP) que não vale na competência (o mês) do atendimento. ${UPDATE_PEC}, que traz as tabelas atuais, e registre de novo com um código vigente na data do atendimento.`),
  'EHR-ERR819': ENTRY('atualizar-pec', 'Código de imunobiológico inválido', `O código do imunobiológico (vacina) do registro não é válido para a RNDS. ${UPDATE_PEC}, que traz a tabela atual de imunobiológicos, e confira a vacina e o lote registrados.`),
  'EHR-ERR817': ENTRY('atualizar-pec', 'Limite de imunizações por paciente e UF ultrapassado', `A RNDS já tem para este cidadão, nesta UF, todas as doses permitidas deste imunobiológico: confira na caderneta se a dose não foi registrada duas vezes ou com a dose errada, corrija o registro e ${lowerFirst(UPDATE_PEC)}.`),
  'EHR-ERR1012': ENTRY('atualizar-pec', 'Fabricante do imunobiológico obrigatório', `A vacina foi enviada sem o fabricante, obrigatório exceto na transcrição de caderneta. ${VACCINE_LOT}`),
  'EHR-ERR1013': ENTRY('atualizar-pec', 'Lote do imunobiológico obrigatório', `A vacina foi enviada sem o lote, obrigatório exceto na transcrição de caderneta. ${VACCINE_LOT}`),

  // RNDS itself (CONTRACT.md: ERR905, 992, 993, 994, 999): wait.
  'EHR-ERR905': RNDS_DOWN('Erro inesperado na RNDS'),
  'EHR-ERR992': RNDS_DOWN('Tempo esgotado ao comunicar com o EHR Data Services'),
  'EHR-ERR993': RNDS_DOWN('EHR Data Services indisponível'),
  'EHR-ERR994': RNDS_DOWN('Falha de comunicação com o EHR Data Services'),
  'EHR-ERR999': RNDS_DOWN('Sem conexão com o banco de dados de cache da RNDS'),

  // gov.br: the professional's login, not the certificate.
  'EHR-ERR835': ENTRY('govbr', 'Selos de confiabilidade insuficientes', 'A conta gov.br do profissional não tem o nível (selos de confiabilidade) exigido: o profissional deve elevar o nível da conta gov.br (prata ou ouro) em acesso.gov.br. O certificado do município não tem relação com este erro.'),
  'EHR-ERR907': ENTRY('govbr', 'Token gov.br expirado', 'O login gov.br do profissional venceu: o profissional deve entrar de novo com a conta gov.br e repetir a operação. O certificado do município não tem relação com este erro.'),
  'EHR-ERR908': ENTRY('govbr', 'Token gov.br inválido', 'O login gov.br do profissional não foi aceito: o profissional deve sair e entrar de novo com a conta gov.br. O certificado do município não tem relação com este erro.'),
  // Not the professional's account: the system that asked gov.br for the token is not authorised (kept in this group,
  // whose status is the same as PEC support's, because DOMAIN.md files it with the gov.br codes).
  'EHR-ERR909': ENTRY('govbr', 'Sistema do token gov.br não autorizado', 'O sistema que pediu o login gov.br não está autorizado a usar a RNDS com gov.br: não é a conta do profissional nem o certificado do município. Abra um chamado no suporte do PEC com o código e a mensagem.'),
};

const GENERIC: Omit<Entry, 'title'> = {
  group: 'desconhecido',
  action: 'Código fora do catálogo da RNDS conhecido por este módulo: leia a mensagem da RNDS ao lado e, se não souber o que fazer, envie-a ao suporte do PEC.',
};

/** The codes the dictionary knows, as the catalogue writes them (for the tests and whoever lists them). */
export const KNOWN_CODES: readonly string[] = Object.keys(ENTRIES);

/**
 * The catalogue's spelling of a code, or null when the text is not one: `ERR-EHR983`, `err983`, `EHR-ERR983` →
 * `EHR-ERR983`; `MSG010`, `EDS-MSG010` → `EDS-MSG010`; `VAL-PROFILE` as is. The catalogue's numbers have three digits,
 * and four from ERR1000 on (ERR1005–ERR1014: vaccine and regulation rules).
 */
export function normalizeCode(raw: string): string | null {
  const text = raw.trim().toUpperCase();
  if (text === 'VAL-PROFILE') return text;
  const err = /^(?:EHR-ERR|ERR-EHR|ERR)-?(\d{3}|1\d{3})$/.exec(text);
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
