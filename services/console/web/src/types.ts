// The API's types, generated from the services' OpenAPI at build time (src/generated, from
// `make console`): what a screen reads is what the service documents.
import type { components as ContactsApi } from "./generated/contacts";
import type { components as ScoringApi } from "./generated/scoring";
import type { components as AutomationApi } from "./generated/automation";
import type { components as ConsoleApi } from "./generated/console";

type Contacts = ContactsApi["schemas"];
type Scoring = ScoringApi["schemas"];
type Automation = AutomationApi["schemas"];
type Console = ConsoleApi["schemas"];

export type Role = "admin" | "marketer" | "manager" | "rep" | "viewer";

export type Me = Console["Me"];

export type Contact = Contacts["Contact"];

export type ContactPage = Contacts["ContactPage"];

export type TimelineEntry = Contacts["TimelineEntry"];

export type Task = Automation["Task"];

export type LedgerEntry = Scoring["LedgerEntry"];

export type ModelScore = Scoring["ModelScore"];

export type Score = Scoring["Score"];

export type Enrollment = Automation["lodestone_automation__api__enrollments__Enrollment"];

export type Rep = Automation["Rep"];

export type User = Console["User"];

export type CreatedUser = Console["CreatedUser"];

export type ImportJob = Contacts["ImportJob"];

export type Segment = Contacts["Segment"];

export type AttachmentRevision = Contacts["RevisionOut"];

export type Attachment = Contacts["AttachmentOut"];

export type EmailTemplate = Automation["EmailTemplate"];

export type CampaignResults = Automation["Results"];

export type Campaign = Automation["Campaign"];

export type CampaignRecipient = Automation["RecipientOut"];
