import {
  Alert,
  Badge,
  Button,
  Card,
  Grid,
  Group,
  Modal,
  Progress,
  Select,
  Stack,
  Table,
  Tabs,
  TagsInput,
  Text,
  TextInput,
  Textarea,
  Timeline,
  Title,
} from "@mantine/core";
import { IconCalendarPlus, IconNote, IconPhone, IconPhoneCall, IconUsersGroup } from "@tabler/icons-react";
import { useForm } from "@mantine/form";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { ApiError } from "../api";
import { automation, contacts, ok, scoring } from "../client";
import type { components } from "../generated/contacts";
import { useAuth } from "../auth";
import { Attachments } from "./Attachments";
import { LogActivity } from "./LogActivity";
import { Purchases } from "./Purchases";
import { NewTask } from "../tasks/NewTask";
import { ScoreBadge } from "./ScoreBadge";
import { TaskList } from "../tasks/TaskList";
import { STAGES, ago, bandColor, contactName, interactionLabel, stageLabel, stageOptions, when } from "../format";
import { repName, submitTo, useChange, useReps } from "../hooks";
import type { Contact, TimelineEntry } from "../types";
import { Unplaced } from "../components/FormActions";

type ContactPatch = components["schemas"]["ContactPatch"];
type Stage = components["schemas"]["StageMove"]["to"];

const FUNNEL = STAGES.slice(0, 6) as readonly string[];

export function ContactPage() {
  const { id = "" } = useParams();
  const { can, canChange } = useAuth();
  const { data: reps } = useReps();
  const [logging, setLogging] = useState<"call" | "meeting" | null>(null);
  const [newTask, setNewTask] = useState(false);
  const contact = useQuery({ queryKey: ["contact", id], queryFn: () => ok(contacts.GET("/v1/contacts/{contact_id}", { params: { path: { contact_id: id ?? "" } } })) });

  if (contact.error) return <Alert color="red">{contact.error.message}</Alert>;
  const c = contact.data;
  if (!c) return <Text>Loading…</Text>;
  // Logging calls and adding notes is open to everyone who writes; the record itself only to its owner's side.
  const writable = can("contacts:write");
  const editable = canChange("contacts", c.owner_id);

  return (
    <Stack>
      <Group justify="space-between" align="flex-start" wrap="wrap">
        <Stack gap={4}>
          <Title order={2}>{contactName(c)}</Title>
          <Text c="dimmed">
            {[c.title, c.company, c.email].filter(Boolean).join(" · ")}
          </Text>
          <Group gap="xs">
            <Badge variant="light">{stageLabel(c.lifecycle_stage)}</Badge>
            <Badge variant="outline">Owner: {repName(reps, c.owner_id)}</Badge>
            {c.score != null && <ScoreBadge score={c.score} band={c.score_band} grade={c.grade} long />}
          </Group>
        </Stack>
        {writable && (
          <Group gap="xs">
            {c.phone && (
              // The number to ring, one tap away (a phone or a softphone opens tel: links).
              <Button component="a" href={`tel:${c.phone}`} variant="outline" leftSection={<IconPhone size={16} />} data-testid="call-phone" aria-label={`Call ${c.phone}`}>
                {c.phone}
              </Button>
            )}
            <Button leftSection={<IconPhoneCall size={16} />} onClick={() => setLogging("call")}>
              Log a call
            </Button>
            <Button variant="light" leftSection={<IconUsersGroup size={16} />} onClick={() => setLogging("meeting")}>
              Log a meeting
            </Button>
            {can("tasks:write") && (
              <Button variant="default" leftSection={<IconCalendarPlus size={16} />} onClick={() => setNewTask(true)}>
                New task
              </Button>
            )}
          </Group>
        )}
      </Group>
      {writable && !editable && (
        <Alert color="gray" data-testid="not-yours">
          {repName(reps, c.owner_id)} owns this contact: you can log calls and meetings and add notes; only {repName(reps, c.owner_id)} or a
          manager can change the details, stage or owner.
        </Alert>
      )}
      {logging && <LogActivity contactId={c.id} kind={logging} phone={c.phone ?? null} onClose={() => setLogging(null)} />}
      {newTask && <NewTask contactId={c.id} ownerId={c.owner_id ?? null} onClose={() => setNewTask(false)} />}
      <Tabs defaultValue="overview" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab value="timeline">Timeline</Tabs.Tab>
          <Tabs.Tab value="score">Why this score</Tabs.Tab>
          <Tabs.Tab value="workflows">Workflows</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md">
          <Grid>
            <Grid.Col span={{ base: 12, md: 6 }}>
              <Details contact={c} writable={editable} />
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 6 }}>
              <Stack>
                <Stage contact={c} writable={editable} />
                <ContactTasks contactId={c.id} />
                <Purchases history={c.purchases} />
                <Notes contactId={c.id} writable={writable} />
                <Attachments contactId={c.id} writable={editable} />
              </Stack>
            </Grid.Col>
          </Grid>
        </Tabs.Panel>
        <Tabs.Panel value="timeline" pt="md">
          <ContactTimeline contactId={c.id} />
        </Tabs.Panel>
        <Tabs.Panel value="score" pt="md">
          <WhyThisScore contactId={c.id} />
        </Tabs.Panel>
        <Tabs.Panel value="workflows" pt="md">
          <Enrollments contactId={c.id} />
        </Tabs.Panel>
      </Tabs>
      {can("contacts:erase") && <Erase contact={c} />}
    </Stack>
  );
}

// Custom fields a person edits as text: plain values; lists and objects (sent by systems) are shown.
const isPlain = (v: unknown) => v == null || ["string", "number", "boolean"].includes(typeof v);
const plainText = (v: unknown) => (v == null ? "" : String(v));

function Details({ contact, writable }: { contact: Contact; writable: boolean }) {
  const { data: reps } = useReps();
  const initial = () => ({
    first_name: contact.first_name ?? "",
    last_name: contact.last_name ?? "",
    company: contact.company ?? "",
    title: contact.title ?? "",
    email: contact.email ?? "",
    phone: contact.phone ?? "",
    contract_end_date: contact.contract_end_date ?? "",
    owner_id: contact.owner_id ?? null,
    tags: contact.tags,
    custom: Object.fromEntries(Object.entries(contact.custom ?? {}).filter(([, v]) => isPlain(v)).map(([k, v]) => [k, plainText(v)])) as Record<string, string>,
  });
  const form = useForm({ initialValues: initial() });
  useEffect(() => {
    // Saved (here or elsewhere): the form starts again from what the service has now.
    form.setInitialValues(initial());
    form.setValues(initial());
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [contact.updated_at]);
  const save = useChange(
    ({ owner_id, tags, custom, ...texts }: ReturnType<typeof initial>) => {
      // Only what changed: two people editing different fields do not undo each other.
      const body: ContactPatch & Record<string, unknown> = { tags };
      for (const [k, v] of Object.entries(texts)) if (v !== ((contact as Record<string, unknown>)[k] ?? "")) body[k] = v || null;
      if (owner_id !== contact.owner_id) body.owner_id = owner_id;
      // A number stays a number when it still reads as one (segments compare numbers).
      const typed = (k: string, v: string) => (typeof contact.custom[k] === "number" && v.trim() !== "" && !Number.isNaN(Number(v)) ? Number(v) : v);
      const changedCustom = Object.fromEntries(Object.entries(custom).filter(([k, v]) => v !== plainText(contact.custom[k])).map(([k, v]) => [k, typed(k, v)]));
      if (Object.keys(changedCustom).length) body.custom = changedCustom;
      return ok(contacts.PATCH("/v1/contacts/{contact_id}", { params: { path: { contact_id: contact.id } }, body }));
    },
    [["contact", contact.id]],
    "Saved",
  );
  const submit = submitTo(form, save);
  const shown = { readOnly: !writable, variant: writable ? "default" : "filled" };
  const input = (k: "first_name" | "last_name" | "company" | "title" | "email" | "phone", label: string) => <TextInput label={label} {...shown} {...form.getInputProps(k)} />;
  const owner = form.values.owner_id;
  return (
    <Card withBorder component="form" onSubmit={submit}>
      <Stack>
        <Title order={4}>Details</Title>
        <Group grow>
          {input("first_name", "First name")}
          {input("last_name", "Last name")}
        </Group>
        <Group grow>
          {input("email", "Email")}
          {input("phone", "Phone")}
        </Group>
        <Group grow>
          {input("company", "Company")}
          {input("title", "Job title")}
        </Group>
        <TextInput
          type="date"
          label="Contract ends"
          description="when their current contract runs out (renewal segments and reminders use it)"
          {...shown}
          {...form.getInputProps("contract_end_date")}
        />
        <Select
          label="Owner"
          {...shown}
          clearable={writable}
          {...form.getInputProps("owner_id")}
          data={[
            ...(reps ?? []).map((r) => ({ value: r.id, label: (r.name as string) || r.id })),
            // An owner that is no (longer a) rep still shows, by id.
            ...(owner && !(reps ?? []).some((r) => r.id === owner) ? [{ value: owner, label: owner }] : []),
          ]}
        />
        <TagsInput label="Tags" {...shown} {...form.getInputProps("tags")} />
        {Object.keys(contact.custom ?? {}).length > 0 && (
          <Stack gap={6}>
            <Text size="sm" fw={500}>
              More about them
            </Text>
            {Object.entries(contact.custom).map(([k, v]) =>
              isPlain(v) ? (
                <TextInput
                  key={k}
                  label={k.replaceAll("_", " ")}
                  {...shown}
                  {...form.getInputProps(`custom.${k}`)}
                  error={form.errors[`custom.${k}`] ?? form.errors.custom}
                />
              ) : (
                <TextInput key={k} label={k.replaceAll("_", " ")} value={JSON.stringify(v)} readOnly variant="filled" />
              ),
            )}
          </Stack>
        )}
        <Unplaced error={save.error} placed={form.errors} />
        {writable && (
          <Group justify="flex-end">
            <Button type="submit" loading={save.isPending}>
              Save changes
            </Button>
          </Group>
        )}
      </Stack>
    </Card>
  );
}

function Stage({ contact, writable }: { contact: Contact; writable: boolean }) {
  const [target, setTarget] = useState<Stage | null>(null);
  const [reason, setReason] = useState("");
  const current = contact.lifecycle_stage ?? "";
  const backward = target !== null && FUNNEL.includes(current) && FUNNEL.includes(target) && FUNNEL.indexOf(target) < FUNNEL.indexOf(current);
  const move = useChange(
    (to: Stage) =>
      ok(
        contacts.PATCH("/v1/contacts/{contact_id}", {
          params: { path: { contact_id: contact.id } },
          body: { stage: { to, ...(reason ? { reason } : {}), ...(backward ? { allow_backward: true } : {}) } },
        }),
      ),
    [["contact", contact.id], ["timeline", contact.id]],
    "Stage changed",
  );
  const choose = (to: string | null) => {
    if (!to || to === current) return;
    setTarget(to as Stage); // one of the Select's stages
    setReason("");
  };
  return (
    <Card withBorder>
      <Stack gap="xs">
        <Title order={4}>Lifecycle stage</Title>
        <Progress value={FUNNEL.includes(current) ? ((FUNNEL.indexOf(current) + 1) / FUNNEL.length) * 100 : 0} aria-label="Funnel progress" />
        <Select label="Stage" data={stageOptions} value={current || null} onChange={choose} readOnly={!writable} variant={writable ? "default" : "filled"} allowDeselect={false} />
      </Stack>
      <Modal opened={target !== null} onClose={() => setTarget(null)} title={`Move to ${stageLabel(target)}`}>
        <Stack>
          {backward && <Text>This moves the contact back down the funnel. Say why, for whoever reads the timeline later.</Text>}
          <Textarea label={backward ? "Reason (required)" : "Reason (optional)"} value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
          {move.error && <Text c="red">{move.error.message}</Text>}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setTarget(null)}>
              Cancel
            </Button>
            <Button
              disabled={backward && !reason.trim()}
              loading={move.isPending}
              onClick={() => target && move.mutate(target, { onSuccess: () => setTarget(null) })}
            >
              Move
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}

function ContactTasks({ contactId }: { contactId: string }) {
  const tasks = useQuery({
    queryKey: ["tasks", "contact", contactId],
    queryFn: () => ok(automation.GET("/v1/tasks", { params: { query: { contact_id: contactId, limit: 100 } } })),
    refetchInterval: 5000,
  });
  const open = (tasks.data ?? []).filter((t) => t.status === "open");
  const done = (tasks.data ?? []).filter((t) => t.status === "done");
  return (
    <Card withBorder>
      <Stack gap="xs">
        <Title order={4}>Tasks</Title>
        {tasks.error && <Text c="red">{tasks.error.message}</Text>}
        <TaskList tasks={open} empty="No open task." />
        {done.length > 0 && (
          <>
            <Text size="sm" c="dimmed">
              Done
            </Text>
            <TaskList tasks={done.slice(-5).reverse()} empty="" />
          </>
        )}
      </Stack>
    </Card>
  );
}

function Notes({ contactId, writable }: { contactId: string; writable: boolean }) {
  const form = useForm({ initialValues: { text: "" }, validate: { text: (v) => (v.trim() ? null : "Write the note first") } });
  const notes = useQuery({
    queryKey: ["timeline", contactId, "note"],
    queryFn: () => ok(contacts.GET("/v1/contacts/{contact_id}/timeline", { params: { path: { contact_id: contactId }, query: { kind: "note", limit: 20 } } })),
  });
  const add = useChange(
    ({ text }: { text: string }) => ok(contacts.POST("/v1/contacts/{contact_id}/notes", { params: { path: { contact_id: contactId } }, body: { text } })),
    [["timeline", contactId]],
    "Note added",
  );
  const submit = submitTo(form, add, () => form.reset());
  return (
    <Card withBorder>
      <Stack gap="xs">
        <Title order={4}>Notes</Title>
        {writable && (
          <form onSubmit={submit}>
            <Stack gap="xs">
              <Textarea placeholder="What did you learn?" aria-label="New note" autosize minRows={2} {...form.getInputProps("text")} />
              <Group justify="flex-end">
                <Button type="submit" size="xs" leftSection={<IconNote size={14} />} loading={add.isPending}>
                  Add note
                </Button>
              </Group>
            </Stack>
          </form>
        )}
        {(notes.data?.entries ?? []).filter((n) => !n.detail.deleted_at).map((n) => (
          <NoteCard key={n.id} contactId={contactId} note={n} />
        ))}
      </Stack>
    </Card>
  );
}

function NoteCard({ contactId, note }: { contactId: string; note: TimelineEntry }) {
  const { me, can } = useAuth();
  const [editing, setEditing] = useState<string | null>(null);
  const path = { params: { path: { contact_id: contactId, note_id: note.id } } };
  const save = useChange(() => ok(contacts.PATCH("/v1/contacts/{contact_id}/notes/{note_id}", { ...path, body: { text: editing ?? "" } })), [["timeline", contactId]], "Note changed");
  const remove = useChange(() => ok(contacts.DELETE("/v1/contacts/{contact_id}/notes/{note_id}", path)), [["timeline", contactId]], "Note deleted");
  // The author, or whoever changes everyone's contacts (the service checks the same).
  const mine = can("contacts:write") && (note.detail.author === me?.email || me?.changes_everyones.includes("contacts"));
  return (
    <Card withBorder padding="xs" data-testid="note">
      {editing === null ? (
        <Text size="sm">{String(note.detail.text ?? "")}</Text>
      ) : (
        <Textarea aria-label="Edit note" value={editing} onChange={(e) => setEditing(e.currentTarget.value)} autosize minRows={2} />
      )}
      <Group justify="space-between" gap="xs">
        <Text size="xs" c="dimmed">
          {String(note.detail.author ?? "")} · {ago(note.at)}
          {note.detail.edited_at ? ` · edited by ${String(note.detail.edited_by)}` : ""}
        </Text>
        {mine && (
          <Group gap={4}>
            {editing === null ? (
              <>
                <Button size="compact-xs" variant="subtle" onClick={() => setEditing(String(note.detail.text ?? ""))}>
                  Edit
                </Button>
                <Button size="compact-xs" variant="subtle" color="red" loading={remove.isPending} onClick={() => remove.mutate(undefined)}>
                  Delete
                </Button>
              </>
            ) : (
              <>
                <Button size="compact-xs" variant="subtle" onClick={() => setEditing(null)}>
                  Cancel
                </Button>
                <Button size="compact-xs" disabled={!editing.trim()} loading={save.isPending} onClick={() => save.mutate(undefined, { onSuccess: () => setEditing(null) })}>
                  Save
                </Button>
              </>
            )}
          </Group>
        )}
      </Group>
    </Card>
  );
}

function describe(e: TimelineEntry): string {
  if (e.kind === "interaction") {
    const p = e.properties;
    const extra = e.type === "page_visit" ? String(p.path ?? p.url ?? e.name ?? "") : e.type === "purchase" ? `${p.amount ?? ""} ${p.currency ?? ""}` : String(p.outcome ?? p.note ?? e.name ?? "");
    return `${interactionLabel(e.type)}${extra && extra !== e.type ? `: ${extra}` : ""}`;
  }
  if (e.kind === "note") {
    if (e.detail.deleted_at) return `Note deleted by ${String(e.detail.deleted_by ?? "someone")}`;
    return `Note: ${String(e.detail.text ?? "")}${e.detail.edited_at ? " (edited)" : ""}`;
  }
  if (e.type === "attachment.added") {
    const version = Number(e.detail.revision ?? 1);
    return `Attached ${String(e.detail.filename)}${version > 1 ? ` (version ${version})` : ""}`;
  }
  if (e.type === "attachment.deleted") return `Deleted the file ${String(e.detail.filename)}`;
  if (e.type === "stage_changed" || e.detail.to) {
    return `Stage ${stageLabel(e.detail.from as string)} → ${stageLabel(e.detail.to as string)}${e.detail.reason ? ` (${e.detail.reason})` : ""}`;
  }
  if (Array.isArray(e.detail.changes)) {
    const shown = (v: unknown) => (v == null || v === "" ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));
    const changes = (e.detail.changes as { field: string; from: unknown; to: unknown }[]).map((c) => `${c.field === "owner_id" ? "owner" : c.field.replaceAll("_", " ")} ${shown(c.from)} → ${shown(c.to)}`);
    return `Changed ${changes.join("; ")}`;
  }
  const fields = Array.isArray(e.detail.fields) ? (e.detail.fields as string[]).join(", ") : "";
  return `${e.type.replaceAll("_", " ")}${fields ? `: ${fields}` : ""}`;
}

function ContactTimeline({ contactId }: { contactId: string }) {
  const timeline = useQuery({
    queryKey: ["timeline", contactId],
    queryFn: () => ok(contacts.GET("/v1/contacts/{contact_id}/timeline", { params: { path: { contact_id: contactId }, query: { limit: 100 } } })),
    refetchInterval: 5000,
  });
  if (timeline.error) return <Text c="red">{timeline.error.message}</Text>;
  const entries = timeline.data?.entries ?? [];
  if (!entries.length) return <Text c="dimmed">Nothing has happened yet.</Text>;
  return (
    <Timeline bulletSize={14} lineWidth={2}>
      {entries.map((e) => (
        <Timeline.Item key={e.id} title={describe(e)} data-testid="timeline-entry">
          <Text size="xs" c="dimmed">
            {when(e.at)}
            {e.channel ? ` · ${e.channel}` : ""}
            {e.by || e.detail.by || e.detail.author ? ` · by ${String(e.by ?? e.detail.by ?? e.detail.author)}` : ""}
          </Text>
        </Timeline.Item>
      ))}
    </Timeline>
  );
}

function WhyThisScore({ contactId }: { contactId: string }) {
  const score = useQuery({ queryKey: ["score", contactId], queryFn: () => ok(scoring.GET("/v1/scores/{contact_id}", { params: { path: { contact_id: contactId } } })), refetchInterval: 5000 });
  if (score.error) return <Text c={score.error instanceof ApiError && score.error.status === 404 ? "dimmed" : "red"}>{score.error instanceof ApiError && score.error.status === 404 ? "Not scored yet." : score.error.message}</Text>;
  if (!score.data) return <Text>Loading…</Text>;
  return (
    <Stack>
      {score.data.models.map((m) => (
        <Card withBorder key={m.model_id} data-testid="score-model">
          <Group justify="space-between">
            <Title order={4}>{m.model_name}</Title>
            <Badge size="lg" color={bandColor(m.band)}>
              {Math.round(m.score)} points · grade {m.grade} · {m.band}
              {m.qualified ? " · qualified" : ""}
            </Badge>
          </Group>
          {m.fit_rules.length > 0 && (
            <Text size="sm" mt="xs">
              Fit ({m.fit_points} points): {m.fit_rules.join(", ")}
            </Text>
          )}
          <Table mt="xs" aria-label={`Points of ${m.model_name}`}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Because</Table.Th>
                <Table.Th>When</Table.Th>
                <Table.Th>Points</Table.Th>
                <Table.Th>Counts now</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {m.entries.map((e) => (
                <Table.Tr key={`${e.rule_id}-${e.event_id}`}>
                  <Table.Td>{e.rule_name}</Table.Td>
                  <Table.Td>{when(e.at)}</Table.Td>
                  <Table.Td>
                    {e.points}
                    {e.capped ? ` (capped from ${e.requested})` : ""}
                  </Table.Td>
                  <Table.Td>{Math.round(e.counts_now * 10) / 10}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      ))}
      {score.data.predictive && (
        <Card withBorder>
          <Title order={4}>Likelihood to buy: {Math.round(score.data.predictive.probability * 100)}%</Title>
          <Text size="sm" c="dimmed">
            Learned from contacts who became customers or were lost. What weighs most:
          </Text>
          {score.data.predictive.factors.slice(0, 6).map((f, i) => (
            <Text size="sm" key={i}>
              {f.feature} {f.value}: {f.weight > 0 ? "+" : ""}
              {Math.round(f.weight * 100) / 100}
            </Text>
          ))}
        </Card>
      )}
    </Stack>
  );
}

function Enrollments({ contactId }: { contactId: string }) {
  const found = useQuery({ queryKey: ["enrollments", contactId], queryFn: () => ok(automation.GET("/v1/contacts/{contact_id}/enrollments", { params: { path: { contact_id: contactId } } })) });
  if (found.error) return <Text c="red">{found.error.message}</Text>;
  if (!found.data?.length) return <Text c="dimmed">Not in any workflow.</Text>;
  return (
    <Stack>
      {found.data.map((e) => (
        <Card withBorder key={e.id}>
          <Group justify="space-between">
            <Text fw={600}>{e.workflow_id}</Text>
            <Badge variant="light">{e.status}</Badge>
          </Group>
          <Text size="sm" c="dimmed">
            Enrolled {ago(e.enrolled_at)} because {e.cause}
          </Text>
          {e.history.map((h, i) => (
            <Text size="sm" key={i}>
              {when(h.at)} · {h.step}: {h.what}
              {h.why ? ` (${h.why})` : ""}
              {h.outcome ? ` → ${h.outcome}` : ""}
            </Text>
          ))}
        </Card>
      ))}
    </Stack>
  );
}

function Erase({ contact }: { contact: Contact }) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const navigate = useNavigate();
  const name = contactName(contact);
  const erase = useChange(() => ok(contacts.DELETE("/v1/contacts/{contact_id}", { params: { path: { contact_id: contact.id } } })), [["contacts"]], "Erased everywhere");
  return (
    <>
      <Group>
        <Button color="red" variant="subtle" onClick={() => setOpen(true)}>
          Erase this person (GDPR)
        </Button>
      </Group>
      <Modal opened={open} onClose={() => setOpen(false)} title="Erase for good">
        <Stack>
          <Text>Every service forgets {name}: record, timeline, scores, workflows and report details. This cannot be undone.</Text>
          <TextInput label={`Type ${name} to confirm`} value={typed} onChange={(e) => setTyped(e.currentTarget.value)} />
          {erase.error && <Text c="red">{erase.error.message}</Text>}
          <Button color="red" disabled={typed !== name} loading={erase.isPending} onClick={() => erase.mutate(undefined, { onSuccess: () => navigate("/contacts") })}>
            Erase
          </Button>
        </Stack>
      </Modal>
    </>
  );
}
