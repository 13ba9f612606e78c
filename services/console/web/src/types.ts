export type Role = "admin" | "marketer" | "manager" | "rep" | "viewer";

export interface Me {
  id: string;
  email: string;
  name: string;
  role: Role;
  rep_id: string | null;
  scopes: string[];
  /** Areas ("contacts", "tasks") where this person changes everyone's records; elsewhere only their own and unassigned ones. */
  changes_everyones: string[];
  csrf: string;
}

export interface Contact {
  id: string;
  email: string | null;
  emails: string[];
  phone: string | null;
  phones: string[];
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  title: string | null;
  lifecycle_stage: string | null;
  owner_id: string | null;
  tags: string[];
  custom: Record<string, unknown>;
  anonymous: boolean;
  activity: Record<string, number>;
  score?: number | null;
  grade?: string | null;
  score_band?: string | null;
  source?: string | null;
  created_at: string;
  updated_at: string;
  [key: string]: unknown;
}

export interface ContactPage {
  items: Contact[];
  next_cursor: string | null;
}

export interface TimelineEntry {
  id: string;
  at: string;
  kind: string;
  type: string;
  name: string | null;
  channel: string | null;
  properties: Record<string, unknown>;
  detail: Record<string, unknown>;
  /** Who recorded or changed it (a person's email or a key's name). */
  by?: string | null;
}

export interface Task {
  id: string;
  contact_id: string;
  owner_id: string | null;
  kind: string;
  title: string;
  status: "open" | "done";
  due_at: string;
  workflow_id: string | null;
  created_at: string;
  created_by: string | null;
  done_at: string | null;
  outcome: string | null;
  note: string | null;
}

export interface LedgerEntry {
  rule_id: string;
  rule_name: string;
  event_id: string;
  at: string;
  points: number;
  requested: number;
  capped: boolean;
  counts_now: number;
}

export interface ModelScore {
  model_id: string;
  model_name: string;
  score: number;
  grade: string;
  band: string;
  qualified: boolean;
  fit_points: number;
  fit_rules: string[];
  entries: LedgerEntry[];
}

export interface Score {
  contact_id: string;
  score: number;
  grade: string;
  band: string;
  models: ModelScore[];
  predictive: { probability: number; factors: { feature?: string; weight?: number; [k: string]: unknown }[] } | null;
}

export interface Enrollment {
  id: string;
  workflow_id: string;
  status: string;
  enrolled_at: string;
  cause: string;
  history: { at: string; step: string; what: string; why: string; outcome?: string }[];
}

export interface Rep {
  id: string;
  name?: string | null;
  weight?: number;
  available?: boolean;
  [key: string]: unknown;
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  rep_id: string | null;
  disabled: boolean;
  created_at: string;
  last_sign_in: string | null;
  initial_password?: string | null;
}

export interface ImportJob {
  id: string;
  status: "running" | "done" | "failed";
  bytes: number;
  bytes_read: number;
  rows_read: number;
  created: number;
  updated: number;
  failed: number;
  errors: { line?: number; error?: string; [k: string]: unknown }[];
  reason?: string | null;
}

export interface Segment {
  id: string;
  name: string;
  members: number;
}

export interface AttachmentRevision {
  revision: number;
  filename: string;
  content_type: string;
  size_bytes: number;
  uploaded_by: string;
  uploaded_at: string;
}

/** A contact's document: its current revision's fields, and every revision oldest first. */
export interface Attachment extends AttachmentRevision {
  id: string;
  contact_id: string;
  revisions: AttachmentRevision[];
}

export interface EmailTemplate {
  id: string;
  name: string;
  version: number;
  subject: string;
}

export interface CampaignResults {
  audience: number;
  queued: number;
  sent: number;
  skipped: number;
  failed: number;
  delivered: number;
  bounced: number;
  opened: number;
  clicked: number;
  unsubscribed: number;
  complained: number;
  open_rate: number | null;
  click_rate: number | null;
  bounce_rate: number | null;
  progress: number | null;
}

/** An email campaign (automation's /v1/campaigns); results in people, not events. */
export interface Campaign {
  id: string;
  name: string;
  template_id: string;
  segment_id: string;
  state: "draft" | "scheduled" | "sending" | "paused" | "sent" | "cancelled" | "failed";
  stopping: "pause" | "cancel" | null;
  send_at: string | null;
  problem: string | null;
  results: CampaignResults | null;
  created_at: string;
}

export interface CampaignRecipient {
  contact_id: string;
  email: string | null;
  status: string;
  reason: string | null;
  sent_at: string | null;
  opened_at: string | null;
  clicked_at: string | null;
  bounced_at: string | null;
}
