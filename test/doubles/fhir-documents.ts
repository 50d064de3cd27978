/**
 * The FHIR documents PEC sends to RNDS, as data both test doubles share: for each model (RIA-R, RIA-C, RAC, RPM) the
 * Composition's profile, its document type and the resource its section points to, and `buildBundle`, which makes a
 * document Bundle the way a host does (the identificador solicitante in the Bundle's identifier, the citizen's CNS
 * or CPF as the subject, the unit's CNES as the author).
 *
 * Profile URLs as the RNDS integration guide's examples and the community implementation guide (kyriosdata/rnds-ig)
 * write them; the validator in the services double only accepts these, as RNDS answers VAL-PROFILE to others.
 */
import { randomUUID } from 'node:crypto';
import type { SendModel } from '../../module/enums.js';

const SD = 'http://www.saude.gov.br/fhir/r4/StructureDefinition';
export const NAMING_SYSTEM_BRRNDS = 'http://www.saude.gov.br/fhir/r4/NamingSystem/BRRNDS-';
/** The system of a citizen's identifier (CNS, 15 digits, or CPF, 11) in RNDS documents. */
export const INDIVIDUO_SYSTEM = `${SD}/BRIndividuo-1.0`;
export const ESTABELECIMENTO_SYSTEM = `${SD}/BREstabelecimentoSaude-1.0`;
const TIPO_DOCUMENTO = 'http://www.saude.gov.br/fhir/r4/CodeSystem/BRTipoDocumento';

export interface DocumentModel {
  /** Composition.meta.profile[0]. */
  composition: string;
  /** Composition.type.coding[0].code (BRTipoDocumento). */
  type: string;
  title: string;
  /** The resource the section points to, and its profile. */
  entry: { resourceType: 'Immunization' | 'Encounter' | 'MedicationRequest'; profile: string };
}

export const DOCUMENT_MODELS: Record<SendModel, DocumentModel> = {
  'RIA-R': {
    composition: `${SD}/BRRegistroImunobiologicoAdministradoRotina-1.0`,
    type: 'RIA',
    title: 'Registro de Imunobiologico Administrado na Rotina',
    entry: { resourceType: 'Immunization', profile: `${SD}/BRImunobiologicoAdministrado-2.0` },
  },
  'RIA-C': {
    composition: `${SD}/BRRegistroImunobiologicoAdministradoCampanha-1.0`,
    type: 'RIA',
    title: 'Registro de Imunobiologico Administrado na Campanha',
    entry: { resourceType: 'Immunization', profile: `${SD}/BRImunobiologicoAdministradoCampanha-1.0` },
  },
  RAC: {
    composition: `${SD}/BRRegistroAtendimentoClinico-1.0`,
    type: 'RAC',
    title: 'Registro de Atendimento Clinico',
    entry: { resourceType: 'Encounter', profile: `${SD}/BRContatoAssistencial-1.0` },
  },
  RPM: {
    composition: `${SD}/BRRegistroPrescricaoMedicamento`,
    type: 'RPM',
    title: 'Registro de Prescricao de Medicamento',
    entry: { resourceType: 'MedicationRequest', profile: `${SD}/BRPrescricaoMedicamento` },
  },
};

/** The model whose Composition profile this is, or null (RNDS: VAL-PROFILE). */
export function modelOfProfile(profile: unknown): SendModel | null {
  for (const [model, doc] of Object.entries(DOCUMENT_MODELS) as Array<[SendModel, DocumentModel]>) {
    if (doc.composition === profile) return model;
  }
  return null;
}

/** A finished record in the host: what PEC knows when it sends. */
export interface HostRecord {
  model: SendModel;
  /** The host's id of the record; also the Bundle identifier's value unless `bundleId` says otherwise. */
  recordId: string;
  /** The citizen: CNS (15 digits) or CPF (11 digits). */
  patient: { cns: string } | { cpf: string };
  /** The Bundle identifier's value (RNDS refuses the same identifier twice): default `recordId`. */
  bundleId?: string;
  /** When the act happened (default: the send's time). */
  occurredAt?: Date;
}

export function patientId(record: HostRecord): string {
  return 'cns' in record.patient ? record.patient.cns : record.patient.cpf;
}

/** A FHIR document Bundle for `record`, as PEC builds it: Composition first, then the resource it points to. */
export function buildBundle(record: HostRecord, context: { identificadorSolicitante: string; cnes: string; professionalCns: string; now: Date }): Record<string, unknown> {
  const doc = DOCUMENT_MODELS[record.model];
  const subject = { identifier: { system: INDIVIDUO_SYSTEM, value: patientId(record) } };
  const when = (record.occurredAt ?? context.now).toISOString();
  const entryUrl = `urn:uuid:${randomUUID()}`;
  const entry: Record<string, unknown> = { resourceType: doc.entry.resourceType, meta: { profile: [doc.entry.profile] } };
  switch (doc.entry.resourceType) {
    case 'Immunization':
      Object.assign(entry, {
        status: 'completed',
        vaccineCode: { coding: [{ system: 'http://www.saude.gov.br/fhir/r4/CodeSystem/BRImunobiologico', code: '86' }] },
        patient: subject,
        occurrenceDateTime: when,
        lotNumber: 'FK1234',
        performer: [{ actor: { reference: `Practitioner/${context.professionalCns}` } }],
      });
      break;
    case 'Encounter':
      Object.assign(entry, {
        status: 'finished',
        class: { system: 'http://www.saude.gov.br/fhir/r4/CodeSystem/BRModalidadeAssistencial', code: '01' },
        subject,
        period: { start: when, end: when },
        participant: [{ individual: { identifier: { system: 'http://www.saude.gov.br/fhir/r4/NamingSystem/cns', value: context.professionalCns } } }],
      });
      break;
    case 'MedicationRequest':
      Object.assign(entry, {
        status: 'active',
        intent: 'order',
        subject,
        authoredOn: when,
        medicationCodeableConcept: { coding: [{ system: 'http://www.saude.gov.br/fhir/r4/CodeSystem/BRMedicamento', code: 'BR0270616U0118' }] },
        requester: { identifier: { system: 'http://www.saude.gov.br/fhir/r4/NamingSystem/cns', value: context.professionalCns } },
      });
      break;
  }
  return {
    resourceType: 'Bundle',
    meta: { lastUpdated: context.now.toISOString() },
    identifier: { system: `${NAMING_SYSTEM_BRRNDS}${context.identificadorSolicitante}`, value: record.bundleId ?? record.recordId },
    type: 'document',
    timestamp: context.now.toISOString(),
    entry: [
      {
        fullUrl: `urn:uuid:${randomUUID()}`,
        resource: {
          resourceType: 'Composition',
          meta: { profile: [doc.composition] },
          status: 'final',
          type: { coding: [{ system: TIPO_DOCUMENTO, code: doc.type }] },
          subject,
          date: context.now.toISOString(),
          author: [{ identifier: { system: ESTABELECIMENTO_SYSTEM, value: context.cnes } }],
          title: doc.title,
          section: [{ entry: [{ reference: entryUrl }] }],
        },
      },
      { fullUrl: entryUrl, resource: entry },
    ],
  };
}
