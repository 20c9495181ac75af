/*
 * The field definitions the simulated Autotask answers at `<Entity>/entityInformation/fields`
 * ("Finding resource and child access URLs of REST API entities"; Datto's Postman sample "Query
 * tickets field information to get Ticket Status picklist values"): each field's name, type,
 * length, whether it is required, and a picklist's values. The ticket statuses and priorities are
 * Autotask's system values the settings default to (1 New, 5 Complete; 1 High, 2 Medium, 3 Low,
 * 4 Critical); queues, types and sources vary per instance, so these are the simulator's own.
 */

interface PicklistValue {
  value: string;
  label: string;
  isActive: boolean;
}

/** The queue simulated tickets are opened in (AUTOTASK_QUEUE_ID in the simulated settings). */
export const MONITORING_QUEUE_ID = '29683490';

export const ticketPicklists: Record<'status' | 'priority' | 'queueID' | 'ticketType' | 'source', PicklistValue[]> = {
  status: [
    { value: '1', label: 'New', isActive: true },
    { value: '5', label: 'Complete', isActive: true },
    { value: '7', label: 'Waiting Customer', isActive: true },
    { value: '8', label: 'In Progress', isActive: true },
  ],
  priority: [
    { value: '1', label: 'High', isActive: true },
    { value: '2', label: 'Medium', isActive: true },
    { value: '3', label: 'Low', isActive: true },
    { value: '4', label: 'Critical', isActive: true },
  ],
  queueID: [
    { value: '29682833', label: 'Client Portal', isActive: true },
    { value: '29682969', label: 'Level I Support', isActive: true },
    { value: MONITORING_QUEUE_ID, label: 'Monitoring Alert', isActive: true },
  ],
  ticketType: [
    { value: '1', label: 'Service Request', isActive: true },
    { value: '2', label: 'Incident', isActive: true },
    { value: '5', label: 'Alert', isActive: true },
  ],
  source: [
    { value: '2', label: 'Phone', isActive: true },
    { value: '4', label: 'Email', isActive: true },
    { value: '8', label: 'Monitoring Alert', isActive: true },
  ],
};

/** TicketNotes' picklists; 1 and 1 are the values Datto's "Create a Ticket Note" sample sends. */
export const notePicklists: Record<'noteType' | 'publish', PicklistValue[]> = {
  noteType: [
    { value: '1', label: 'Task Summary', isActive: true },
    { value: '2', label: 'Task Detail', isActive: true },
    { value: '3', label: 'Task Notes', isActive: true },
  ],
  publish: [
    { value: '1', label: 'All Autotask Users', isActive: true },
    { value: '2', label: 'Internal Only', isActive: true },
  ],
};

/** Longest text each field takes. */
export const lengths = { ticketTitle: 255, ticketDescription: 8000, noteTitle: 250, noteDescription: 32000 } as const;

interface FieldSpec {
  name: string;
  dataType: 'integer' | 'string' | 'boolean' | 'datetime';
  length?: number;
  isRequired?: boolean;
  isReadOnly?: boolean;
  picklist?: PicklistValue[];
  reference?: string;
}

const ticketFields: FieldSpec[] = [
  { name: 'id', dataType: 'integer', isReadOnly: true, isRequired: true },
  { name: 'companyID', dataType: 'integer', isRequired: true, reference: 'Company' },
  { name: 'title', dataType: 'string', length: lengths.ticketTitle, isRequired: true },
  { name: 'description', dataType: 'string', length: lengths.ticketDescription },
  { name: 'status', dataType: 'integer', isRequired: true, picklist: ticketPicklists.status },
  { name: 'priority', dataType: 'integer', isRequired: true, picklist: ticketPicklists.priority },
  { name: 'queueID', dataType: 'integer', picklist: ticketPicklists.queueID },
  { name: 'ticketType', dataType: 'integer', picklist: ticketPicklists.ticketType },
  { name: 'source', dataType: 'integer', picklist: ticketPicklists.source },
  { name: 'ticketNumber', dataType: 'string', length: 50, isReadOnly: true },
  { name: 'createDate', dataType: 'datetime', isReadOnly: true },
  { name: 'completedDate', dataType: 'datetime', isReadOnly: true },
  { name: 'lastActivityDate', dataType: 'datetime', isReadOnly: true },
];

const noteFields: FieldSpec[] = [
  { name: 'id', dataType: 'integer', isReadOnly: true, isRequired: true },
  { name: 'ticketID', dataType: 'integer', isRequired: true, reference: 'Ticket' },
  { name: 'title', dataType: 'string', length: lengths.noteTitle },
  { name: 'description', dataType: 'string', length: lengths.noteDescription, isRequired: true },
  { name: 'noteType', dataType: 'integer', isRequired: true, picklist: notePicklists.noteType },
  { name: 'publish', dataType: 'integer', isRequired: true, picklist: notePicklists.publish },
  { name: 'createDateTime', dataType: 'datetime', isReadOnly: true },
];

const companyFields: FieldSpec[] = [
  { name: 'id', dataType: 'integer', isReadOnly: true, isRequired: true },
  { name: 'companyName', dataType: 'string', length: 100, isRequired: true },
  { name: 'webAddress', dataType: 'string', length: 255 },
  { name: 'isActive', dataType: 'boolean' },
];

export const entityFields: Record<'tickets' | 'ticketnotes' | 'companies', FieldSpec[]> = { tickets: ticketFields, ticketnotes: noteFields, companies: companyFields };

/** One entity's `entityInformation/fields` answer. */
export function fieldsAnswer(fields: FieldSpec[]): { fields: Record<string, unknown>[] } {
  return {
    fields: fields.map((field) => ({
      name: field.name,
      dataType: field.dataType,
      length: field.length ?? 0,
      isRequired: field.isRequired ?? false,
      isReadOnly: field.isReadOnly ?? false,
      isQueryable: true,
      isReference: field.reference !== undefined,
      referenceEntityType: field.reference ?? '',
      isPicklist: field.picklist !== undefined,
      picklistValues: field.picklist?.map((entry, index) => ({ ...entry, isDefaultValue: false, sortOrder: index + 1, parentValue: '', isSystem: true })) ?? null,
      picklistParentValueField: '',
      isSupportedWebhookField: false,
    })),
  };
}

export function picklistHas(list: PicklistValue[], value: unknown): boolean {
  return list.some((entry) => entry.isActive && entry.value === String(value));
}

export function labelOf(list: PicklistValue[], value: unknown): string {
  return list.find((entry) => entry.value === String(value))?.label ?? String(value);
}
